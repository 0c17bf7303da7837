"""The conformance runner: a server checked against the contract, within a spend budget.

The truth lives one level up (``contract``); this room only uses it, and the truth never
imports this room. Nothing here imports ``mock_server`` or the client: the mock is reached
through :class:`~contract.conformance.target.ConfigurableMock`.

* :mod:`~contract.conformance.budget`: reserve a unit before a call that might be billed.
* :mod:`~contract.conformance.canaries`: known answers, to catch semantic drift.
* :mod:`~contract.conformance.probe`: one budgeted request and the contract's verdict on it.
* :mod:`~contract.conformance.report`: a probe run as a table, JSON and JUnit XML.
* :mod:`~contract.conformance.target`: the pytest plugin's ``juhe_target`` and the live
  Hypothesis profile.
* :mod:`~contract.conformance.cli`: ``juhe-contract check``.
"""
