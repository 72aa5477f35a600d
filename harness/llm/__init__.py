"""LLM access: embedded local models (`models`, `server`) and the OpenAI-compatible client.

Nothing heavy is imported here, so `import harness.llm` stays instant; xllamacpp and
openai are imported inside the functions that need them.
"""
