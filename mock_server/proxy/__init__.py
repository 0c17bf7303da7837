"""The guard proxy for staging: ``juhe-mock --upstream URL|live`` (docs/proxy.md).

Apps behind it call the API path as they would call the vendor; the proxy answers what it
can itself (a missing key, a malformed ``mobile``, a hash it has cached), keeps a budget
per Beijing day and month that nothing behind it can pass, and forwards the rest with its
own key (``JUHE_KEY`` in its environment), judging every answer against the contract.

* :mod:`.guard`: one lookup's way (cache, claim, budget, upstream, verdict, journal);
* :mod:`.spend`: the budget, in the store (exact across replicas on one Redis) or a ledger
  file;
* :mod:`.upstream`: the httpx call and its faults, each mapped to sent-or-not and 502/504;
* :mod:`.replies`: the proxy's own answers, its headers, what the cache keeps;
* :mod:`.setup`: the proxy the settings ask for.

The room knows HTTP as a client only: the web layer (``web/door_async``) hands it requests;
it never imports ``web`` or ``serve``.
"""
