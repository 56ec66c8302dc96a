"""The spiders: feed, sitemap, site, urls and news (every source in a sources file)."""
