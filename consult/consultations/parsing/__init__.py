"""The document importer's parts: lines or Word paragraphs become blocks, blocks become labelled paragraphs."""
