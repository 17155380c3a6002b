"""Per-message French/English detection from function words (robust on short messages)."""
from __future__ import annotations

from bot.text import fold

_FRENCH = frozenset(
    """
    le la les un une des du de au aux et est sont je tu il elle nous vous ils mon ma mes
    ton ta tes son sa ses ce cette ces qui que quoi quand comment pourquoi ou avec pour
    dans sur pas ne plus bonjour salut merci oui non aide veux voudrais peux faut quel
    quelle quels quelles mairie ville quartier rue signaler probleme abonner desabonner
    conseil budget elu elus adjoint maire horaires ouvert demain aujourd hui svp stp
    parler humain quelqu un mes donnees supprimer vote voter idee proposer suis avez
    annuler annule arreter arrete desabonner abonner aidez
    """.split()
)
_ENGLISH = frozenset(
    """
    the a an is are i you he she we they my your his her our their this that these what
    who when how why where with for in on not no yes hello hi hey thanks thank please
    help want would like can could need city council neighbourhood neighborhood street
    report problem subscribe unsubscribe budget elected mayor hours open tomorrow today
    talk human someone data delete vote idea propose am do does have has which
    cancel quit
    """.split()
)
_FRENCH_LETTERS = set("éèêàçùûôîœëï")


def detect_language(text: str) -> str | None:
    """``"fr"``, ``"en"``, or None when the message gives no clue (e.g. only a number)."""
    letters = set(text.lower())
    words = [word.strip(".,;:!?'\"()") for word in fold(text).replace("'", " ").split()]
    french = sum(word in _FRENCH for word in words) + (2 if letters & _FRENCH_LETTERS else 0)
    english = sum(word in _ENGLISH for word in words)
    if french == english:
        return None
    return "fr" if french > english else "en"
