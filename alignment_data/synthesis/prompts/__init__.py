"""The prompts, in our own words: synthetic documents, scenarios from source texts, and the LLM judge."""
