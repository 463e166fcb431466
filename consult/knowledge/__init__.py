"""The knowledge base: guides, good practices and reports of local initiatives, with attachments and photos."""
