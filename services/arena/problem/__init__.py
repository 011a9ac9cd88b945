"""The problem service: problems, statements, tags, test cases, likes and bookmarks."""
