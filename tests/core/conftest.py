import pytest


@pytest.fixture(autouse=True)
def _english(english_clients):
    """These tests read English messages unless they choose a language themselves."""
