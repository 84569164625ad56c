"""Model providers: OpenAI-compatible and Anthropic over HTTP, and llama.cpp in process."""
