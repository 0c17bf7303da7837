"""HTTP in and bytes out: the WSGI app and its two doors to the API path.

``app`` builds the app (``create_app``); a request to the API path comes in by
``door_raw`` (plain GET and form POST, straight from the WSGI environ) or ``door_flask``
(everything else); ``params`` reads its parameters; ``answer`` takes it through the engine,
the store and the journal; ``wire`` makes the body's bytes and ``faults`` damages them
when a scenario asks; ``admin`` is the control plane under ``/__admin`` (``catalogue`` and
``named`` give it the codes' words and the named scenarios), and ``ui`` serves the
dashboard over it at ``/__admin/ui``.
"""
