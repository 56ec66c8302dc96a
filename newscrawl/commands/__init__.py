"""Scrapy commands newscrawl overrides (the COMMANDS_MODULE setting): ``crawl``."""
