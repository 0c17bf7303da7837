"""The scenario language: a document in, plain compiled objects out (no HTTP, no state).

``document`` reads, validates and merges YAML/JSON documents against ``schema``;
``compile`` turns one into the ``model`` objects the engine decides with; ``errors`` says
what is wrong (``FILE: $.json.path: why``). ``default.yaml`` is the built-in scenario.
Nothing is re-exported here, so that importing the model does not import the validator.
"""
