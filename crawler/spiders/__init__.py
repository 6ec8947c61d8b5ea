"""One base spider per CMS dialect; sites are rows in sites.yaml."""
