"""What the tests share, in one place (no tests here).

* :mod:`.paths`: the repository's folders and files the tests read;
* :mod:`.served`: ``juhe-mock`` as a child process (the one launcher), driven over its
  admin API;
* :mod:`.processes`: stopping a process, a free port, pytest in a subprocess, a tool that
  is missing (skip, or fail under ``CI=true``), npm packages;
* :mod:`.answers`: every API answer the mock sends, judged against the contract (strict);
* :mod:`.threads`: work on several threads at once, every result and error collected;
* :mod:`.leaks`: the session's check that no key and no plaintext number is logged,
  journaled or reported;
* :mod:`.redis`: a real ``redis-server`` for the shared-state tests;
* :mod:`.standin`: a loopback server that plays the live API;
* :mod:`.browser`: headless Chromium; :mod:`.rawhttp`: HTTP/1.1 over a bare socket;
* :mod:`.markers`: the suite's markers, declared and applied.
"""
