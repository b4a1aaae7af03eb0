"""Speech to text for videos without captions: faster-whisper and openai-whisper backends
of core.ports.Transcriber (import the module of the one you use: each pulls in its engine)."""
