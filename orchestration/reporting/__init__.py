"""Reports for people: `renderer` (the one renderer: text, Markdown, HTML, JSON) and
`report` (the relationship report's numbers)."""
