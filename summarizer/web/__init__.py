"""Live news from the web: which URLs may be fetched (urls), polite bounded fetching (fetch),
article pages to text (pages), and the feeds built on them. trafilatura is imported only
inside pages' functions, so importing this package costs `briefbot ask` nothing."""
