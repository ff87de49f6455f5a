"""Page shells (editor, rep page) that work through the API."""
