"""Who does what: stems of actors and actions, counted per sentence."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from triage.features.context import _words

# Who does what. Word stems (matched as prefixes of lower-cased words) that carry
# across countries and outlets: the actor and the action are what separate an
# attack from the state's response, whatever the place names.
CUES: dict[str, tuple[str, ...]] = {
    "state_actor": (
        "police", "policem", "officer", "ministr", "minister", "government", "authorit",
        "army", "soldier", "troop", "military", "gendarm", "carabinier", "prosecut",
        "court", "judge", "magistrat", "president", "prime minister", "governor", "mayor",
        "official", "spokes", "security forces", "security service", "agenc", "interior",
        "cabinet", "parliament", "lawmaker", "federal", "special forces", "counter-terror",
        "counterterror", "investigator", "detective", "coast guard", "guard", "commission",
        "state", "national guard", "intelligence", "sheriff", "fbi", "department",
    ),
    "state_action": (
        "arrest", "detain", "detention", "custody", "charg", "indict", "trial", "sentenc",
        "convict", "cordon", "lockdown", "curfew", "checkpoint", "raid", "manhunt",
        "search", "investigat", "probe", "inquiry", "alert", "threat level", "ban",
        "closed", "clos", "suspend", "deploy", "reinforc", "patrol", "emergency",
        "condemn", "vow", "pledg", "reassur", "urged", "urge", "announc", "order",
        "law", "legislat", "decree", "statement", "questioned", "interrogat", "extradit",
        "evacuat", "sealed", "seal", "operation", "apprehend", "captur", "neutrali",
        "promis", "called on", "appeal",
    ),
    "attacker": (
        "gunm", "attacker", "assailant", "militant", "insurgent", "bomber", "terrorist",
        "jihad", "rebel", "bandit", "gang", "extremist", "suspect", "perpetrator",
        "shooter", "kidnapper", "abductor", "armed men", "fighters", "cell", "islamist",
        "separatist", "militia", "knifem", "arsonist", "hijack",
    ),
    "violence": (
        "kill", "dead", "death", "die", "shot", "shoot", "gunfire", "fire", "explo",
        "blast", "bomb", "detonat", "stab", "wound", "injur", "attack", "storm", "ambush",
        "massacre", "behead", "abduct", "kidnap", "hostage", "torch", "burn", "arson",
        "grenade", "rocket", "mortar", "ied", "rampage", "rammed", "ram", "casualt",
        "victim", "hospital", "body", "bodies", "slain", "murder", "fatal", "blew",
        "claimed responsibility", "responsibility",
    ),
    "society": (
        "econom", "oil", "price", "poverty", "unemploy", "protest", "demonstrat", "unrest",
        "election", "opposition", "political", "politic", "religio", "ethnic", "tension",
        "history", "histor", "decade", "since independence", "rights", "watchdog",
        "critic", "analyst", "expert", "fear", "anxi", "worri", "mood", "residents",
        "community", "communities", "tourism", "investor", "reform", "land", "labor",
        "labour", "worker", "strike", "corruption", "discontent", "dissatisf", "trend",
        "region has", "long seen", "population", "muslim", "christian", "minority",
        "speculat", "social",
    ),
    "reporting": ("said", "say", "told", "according", "reported", "quoted", "stated", "added"),
}

_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]*\s+")


def _alternation(stems: tuple[str, ...]) -> str:
    """A group matching any stem, the longest one where several do (a space matches any spaces).

    The stems are factored into a tree of shared prefixes: at each place in the
    text the regex engine follows one branch instead of trying all the stems
    in turn, which is most of the cost of the cue features.
    """
    tree: dict = {}
    for stem in stems:
        node = tree
        for token in (r"\s+" if ch == " " else re.escape(ch) for ch in stem):
            node = node.setdefault(token, {})
        node[""] = {}  # a stem ends here

    def pattern(node: dict) -> str:
        # Longer stems first: the engine backs off to a shorter one only if they fail.
        branches = [token + pattern(child) for token, child in node.items() if token]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
        return group + "?" if "" in node else group

    return "(?:" + pattern(tree) + ")"


def _cue_pattern(stems: tuple[str, ...]) -> re.Pattern:
    """One regex matching any stem at the start of a word."""
    return re.compile(r"\b" + _alternation(stems))


_CUE_PATTERNS = {name: _cue_pattern(stems) for name, stems in CUES.items()}
# Any stem at all: most lines of a scraped page hold none, and one search tells.
_ANY_CUE = _cue_pattern(tuple(stem for stems in CUES.values() for stem in stems))


def _alternatives(stems: tuple[str, ...]) -> str:
    """A word beginning with any stem."""
    return _alternation(stems) + r"\w*"


_STATE_NOUN = _alternatives(
    ("police", "policem", "officer", "soldier", "troop", "army", "military", "gendarm",
     "guard", "security forces", "special forces", "servicem", "base", "checkpoint",
     "police station", "barracks", "patrol", "convoy", "agent")
)
_HARM = _alternatives(
    ("kill", "shot", "shoot", "wound", "injur", "attack", "ambush", "storm", "stab",
     "target", "hurt", "dead", "die", "murder", "behead", "abduct", "kidnap")
)
_GAP = r"(?:\W+\w+){0,4}?\W+"
_PASSIVE = r"\W+(?:\w+\W+){0,3}?(?:were|was|are|is|been|being|had|have)\W+(?:\w+\W+){0,2}?"
# Directed cues, per sentence: who acts on whom. The guide's tie-breaks turn on them:
# an attack on police is `attack`, police arresting or killing suspects is
# `state_response`, and violence relayed by an official ("the ministry said the
# gunman shot two officers") is still `attack`.
DIRECTED: dict[str, re.Pattern] = {
    # "police arrested", "authorities cordoned off", "troops raided"
    "state_acts": re.compile(
        r"\b" + _alternatives(CUES["state_actor"]) + _GAP + r"(?:\w+\W+)?" + _alternatives(CUES["state_action"])
    ),
    # "shooting a policeman", "attacked a military base", "killed six soldiers"
    "harm_to_state": re.compile(r"\b" + _HARM + _GAP + _STATE_NOUN),
    # "two officers were wounded", "seven police are being treated in hospital"
    "state_harmed": re.compile(
        r"\b" + _STATE_NOUN + _PASSIVE + r"(?:killed|wounded|injured|shot|hurt|treated|hospital\w*|dead)"
    ),
    # "security forces killed five militants", "police shot dead the attacker"
    "state_kills": re.compile(
        r"\b" + _alternatives(("police", "security forces", "troops", "soldiers", "army", "special forces", "officers"))
        + _GAP + r"(?:\w+\W+)?(?:kill|shot|captur|neutrali|eliminat|arrest)\w*"
        + r"(?:\W+\w+){0,4}?\W+" + _alternatives(CUES["attacker"] + ("alleged", "suspected"))
    ),
    # "gunmen opened fire", "the suspect then shot"
    "attacker_acts": re.compile(r"\b" + _alternatives(CUES["attacker"]) + _GAP + _HARM),
    # "residents said they were afraid", "we never thought this could happen here"
    "public_mood": re.compile(
        r"\b(?:"
        + _alternatives(("resident", "villager", "local", "people", "woman", "man", "shopkeeper",
                         "neighbour", "neighbor", "parent", "student", "trader"))
        + r"|we|i)\b(?:\W+\w+){0,8}?\W+"
        + _alternatives(("afraid", "fear", "scared", "frighten", "tense", "tension", "worr", "shock",
                         "never thought", "disbelie", "panic", "anxi", "nervous", "terrif", "calm",
                         "sleep", "safe"))
    ),
}


@lru_cache(maxsize=1 << 16)
def _cue_row(text: str) -> tuple[float, ...]:
    """Cue counts, densities and actor-action sentence shares of one text (cached)."""
    if _ANY_CUE.search(text.lower()) is None:  # most lines of a page: every figure is 0
        return _NO_CUES
    sentences = [s for s in _SENTENCE.split(text) if s.strip()] or [""]
    totals = dict.fromkeys(CUES, 0.0)
    state_pairs = attack_pairs = relayed = 0
    directed = dict.fromkeys(DIRECTED, 0)
    for sentence in sentences:
        lowered = sentence.lower()
        if _ANY_CUE.search(lowered) is None:
            continue
        hits = {name: len(p.findall(lowered)) for name, p in _CUE_PATTERNS.items()}
        for name, count in hits.items():
            totals[name] += count
        state_pairs += bool(hits["state_actor"] and hits["state_action"])
        attack_pairs += bool(hits["attacker"] and hits["violence"])
        relayed += bool(hits["reporting"] and hits["violence"] and not hits["state_action"])
        if hits["state_actor"] or hits["attacker"] or hits["violence"]:
            for name, pattern in DIRECTED.items():
                directed[name] += pattern.search(lowered) is not None
    n_words = max(len(_words(text)), 1)
    n = len(sentences)
    return (
        tuple(math.log1p(totals[name]) for name in CUES)
        + tuple(totals[name] / n_words * 10 for name in CUES)
        + (state_pairs / n, attack_pairs / n, relayed / n)
        + tuple(directed[name] / n for name in DIRECTED)
    )


_NO_CUES = (0.0,) * (2 * len(CUES) + 3 + len(DIRECTED))


class CueFeatures(BaseEstimator, TransformerMixin):
    """Density of actor and action cues, and sentences pairing an actor with an action.

    A sentence where a state actor meets a state action ("police arrested") points
    to ``state_response``; an attacker meeting violence ("gunmen killed") to
    ``attack``. Counting those pairs per sentence keeps the cue local.
    """

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray([_cue_row(sample.text) for sample in X], dtype=np.float64)

    def get_feature_names_out(self, input_features=None):
        names = [f"cue_{n}" for n in CUES] + [f"cue_{n}_density" for n in CUES]
        names += ["state_actor_action_sentences", "attacker_violence_sentences", "relayed_violence_sentences"]
        return np.asarray(names + [f"{name}_sentences" for name in DIRECTED], dtype=object)
