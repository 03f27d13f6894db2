"""Judging: judge LLM providers, registered by name and imported lazily, and the judge on them.

- :mod:`~llm_pytest.judging.registry`: ``provider`` registers one, with what it declares;
- :mod:`~llm_pytest.judging.judge`: ``make_judge`` (a session's judge) and ``ProviderJudge``;
- :mod:`~llm_pytest.judging.consensus`: ``ConsensusJudge``, the majority of K votes or a panel;
- :mod:`~llm_pytest.model.judge`: the ``Provider`` interface and the request it answers.

This package imports nothing itself: the registry is read on every pytest run.
"""
