"""Fetching: sources, URL rules, feeds and sitemaps, downloader middlewares, one crawl run."""
