"""The report layer: which pages exist, running their notebooks, the cache, HTML export, the index page and the figure theme. Nothing in the data layer imports from here."""
