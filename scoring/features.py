"""The comparison vector of a batch of pairs: one level per feature per pair."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields, replace

import numpy as np
from rapidfuzz.distance import OSA

from matching.encode import PAD, Encoded
from matching.normalize import is_country, nickname_canonicals, skeleton, vowels_agree
from scoring.comparators import (
    NULL,
    NameLevels,
    TokenSimilarity,
    compare_birth,
    compare_chronology,
    compare_dates,
    compare_masks,
    compare_name_part,
    compare_record_dates,
    compare_sets,
    compare_sex,
    person_levels,
    person_similarity,
    place_agreement,
)


@dataclass(frozen=True)
class Feature:
    """A named comparison with its number of agreement levels and their labels."""

    name: str
    label: str
    levels: tuple[str, ...]


FEATURES: tuple[Feature, ...] = (
    Feature(
        "given_name", "Given name", ("different", "loosely similar", "similar", "nickname", "same")
    ),
    Feature(
        "family_name",
        "Family name",
        ("different", "loosely similar", "similar", "nickname", "same"),
    ),
    Feature(
        "birth",
        "Age / date of birth",
        (
            "far apart",
            "within 3 years",
            "two dates of birth, months apart",
            "within a year",
            "consistent at the estimate's edge",
            "consistent within the estimates",
            "consistent",
            "one slip apart",
            "same date of birth",
        ),
    ),
    Feature("sex", "Sex", ("different", "same")),
    Feature("mother", "Mother", ("different", "partly similar", "similar", "same")),
    Feature("father", "Father", ("different", "partly similar", "similar", "same")),
    Feature(
        "inquirer", "Inquirer vs caregiver", ("different", "partly similar", "similar", "same")
    ),
    Feature("origin", "Place of origin", ("different", "same country", "same region", "same town")),
    Feature(
        "separation_place",
        "Separation place",
        ("different", "same country", "same region", "same town"),
    ),
    Feature("documents", "Child's documents", ("different", "one character apart", "shared")),
    Feature("contacts", "Family phone / household", ("none shared", "shared")),
    Feature("background", "Language / nationality", ("none in common", "in common")),
    Feature(
        "separation_date",
        "Separation date",
        ("months apart", "within three months", "within a month", "within a week", "same day"),
    ),
    Feature("chronology", "Registered after separation", ("out of order", "in order")),
    Feature(
        "record_dates",
        "Dates of the records",
        (
            "years apart",
            "within two years",
            "within a year",
            "within three months",
            "within a month",
        ),
    ),
)
FEATURE_INDEX = {f.name: i for i, f in enumerate(FEATURES)}


@dataclass(frozen=True)
class Comparison:
    """Levels (P, F) for P pairs, plus the tokens behind name agreements (for TF): the
    child's given and family name words that agreed exactly, the trace's mother and
    father words that agreed; (P, width) each, padded, since a name of two words may
    agree on both. And the case's places (town or region) that the place of origin
    and the separation place agreed on, (P, 1) each."""

    levels: np.ndarray
    given_token: np.ndarray
    family_token: np.ndarray
    mother_token: np.ndarray
    father_token: np.ndarray
    origin_token: np.ndarray
    separation_token: np.ndarray

    def subset(self, rows: np.ndarray) -> Comparison:
        """The comparison of a subset of the pairs."""
        return Comparison(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def with_levels(self, levels: np.ndarray) -> Comparison:
        """The same pairs and agreeing words with other levels."""
        return replace(self, levels=levels)


def _max_person(sim: TokenSimilarity, a: np.ndarray, *bs: np.ndarray) -> np.ndarray:
    best = np.full(len(a), -1.0, dtype=np.float32)
    for b in bs:
        best = np.maximum(best, person_similarity(sim, a, b))
    return best


def _both_hold(has_a: np.ndarray, has_b: np.ndarray, t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The pairs (indices into t and c) whose records both hold some identifier."""
    return np.flatnonzero(has_a[t] & has_b[c])


def _compare_id_sets(
    a: list[frozenset[str]],
    b: list[frozenset[str]],
    has_a: np.ndarray,
    has_b: np.ndarray,
    t: np.ndarray,
    c: np.ndarray,
) -> np.ndarray:
    """Identifier sets of the pairs, compared only where both sides have some."""
    # only the pairs' own records are looked at: a single query against a large
    # store must not walk every case
    levels = np.full(len(t), NULL, dtype=np.int8)
    both = _both_hold(has_a, has_b, t, c)
    if len(both):
        levels[both] = compare_sets([a[i] for i in t[both]], [b[i] for i in c[both]])
    return levels


def _compare_documents(traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The child's documents (`kind:value`): shared (2), one character apart (1), different (0).

    Any value in common is shared, whatever the kinds say. Otherwise only documents
    of one kind can disagree: two passports with different numbers are two children,
    a passport and a registration number are not comparable (missing). A number one
    character off (a typo, two digits swapped) is its own level: it is what a mistyped
    number looks like, but also a brother's registration number issued next in line,
    so the model weighs it and the identity rule never leans on it.
    """
    levels = np.full(len(t), NULL, dtype=np.int8)
    a, b = traces.documents, cases.documents
    # most records hold no document: look only at the pairs where both sides do
    for p in _both_hold(traces.holds_documents, cases.holds_documents, t, c).tolist():
        x, y = a[t[p]], b[c[p]]
        values_x = {value: kind for kind, _, value in (d.partition(":") for d in x)}
        values_y = {value: kind for kind, _, value in (d.partition(":") for d in y)}
        if values_x.keys() & values_y.keys():
            levels[p] = 2
            continue
        level = NULL
        for vx, kx in values_x.items():
            for vy, ky in values_y.items():
                if kx and ky and kx != ky:
                    continue
                if len(vx) >= 5 and OSA.distance(vx, vy, score_cutoff=1) <= 1:
                    level = 1
                    break
                level = max(level, 0)
            if level == 1:
                break
        levels[p] = level
    return levels


def _parent_levels(
    sim: TokenSimilarity, sought: np.ndarray, parent: np.ndarray, caregiver: np.ndarray
) -> np.ndarray:
    """A parent named on the trace against the case's parent of that role.

    The case's caregiver counts only when it agrees, at least "similar" (the caregiver
    is often an aunt, a neighbour or a foster family, which says nothing against the
    parent; sharing a word with the parent's name, often a family or father's name,
    says nothing either), and only where the case does not name a parent of that role
    who differs, or is only partly alike: Andriy Polishchuk caring for his nephew,
    whose father is Yurii, is not the father of the child Andriy Polishchuk is looking
    for.
    """
    direct = _told_apart(sim, sought, parent, person_levels(person_similarity(sim, sought, parent)))
    via_caregiver = _told_apart(
        sim, sought, caregiver, person_levels(person_similarity(sim, sought, caregiver))
    )
    # a parent the case names who is only partly like the one sought (another given
    # name, the family name shared) is named all the same: Gunay Huseynova is not
    # Aysel Hasanova, whatever the caregiver Huseyn Huseynov shares with her
    named_apart = (direct == 0) | (direct == 1)
    via_caregiver = np.where((via_caregiver < 2) | named_apart, NULL, via_caregiver)
    return np.maximum(direct, via_caregiver)


def _told_apart(
    sim: TokenSimilarity, sought: np.ndarray, other: np.ndarray, levels: np.ndarray
) -> np.ndarray:
    """Person levels with a parent whose names hold two names told apart on purpose
    (`distinct_names.csv`: Mohamed Ali against Mahmoud Ali, Hassan Omar against Hussein
    Omar) no more than "partly similar": the same family name, another man."""
    rows = np.flatnonzero(levels >= 2)
    if len(rows):
        apart = sim.distinct_names_differ(sought[rows], other[rows])
        levels = levels.copy()
        levels[rows[apart]] = 1
    return levels


def _agreeing_words(
    sim: TokenSimilarity, sought: np.ndarray, levels: np.ndarray, *others: np.ndarray
) -> np.ndarray:
    """The words of `sought` that agree with a word of the others (same key, forms of
    one name, or Jaro-Winkler >= 0.90 between words of about one length), on the pairs
    whose level is at least "similar"; else PAD.

    The model weighs a parent's agreement by how common the agreeing name is. Jaro-
    Winkler rewards a shared start: "mohammedrahimi" (Mohammed Rahimi joined into one
    word) scores 0.91 against "mohammed", and being the rarer word, it would make the
    commonest father's name there is weigh as a rare one. So no join of two words
    counts: "mohamadmohamad" (Mohamad Mohamad) and "mohammadahmadi" are 0.94 alike,
    and made a stranger's father Mohammad Ahmadi weigh two bits more than the true
    father, written Mohamad.
    """
    out = np.full(sought.shape, PAD, dtype=sought.dtype)
    rows = np.flatnonzero(levels >= 2)
    if not len(rows):
        return out
    agree = np.zeros((len(rows), sought.shape[1]), dtype=bool)
    mine = sim.lengths(sought[rows])[:, :, None]
    for other in others:
        jw, same_key = sim.compare(sought[rows], other[rows])
        theirs = sim.lengths(other[rows])[:, None, :]
        alike = 4 * np.minimum(mine, theirs) >= 3 * np.maximum(mine, theirs)
        one_name = sim.related(sought[rows], other[rows])  # Fadumo is Fatima
        agree |= ((jw >= 0.90) & alike | same_key | one_name).any(axis=2)
    agree &= ~sim.joins(sought[rows])
    out[rows] = np.where(agree, sought[rows], PAD)
    return out


def _compare_given(
    sim: TokenSimilarity, traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray
) -> NameLevels:
    """Given names compared both ways round; the weaker agreement counts.

    Each side's given name is sought among all of the other side's names, so a name
    written in the wrong field still agrees. One way round alone lets a family name
    stand in for a given name: "al-Najjar Mohammed" (everything in the given-name
    field) would agree with his sister Rana al-Najjar on "al-Najjar". Her given name,
    sought among his names, does not agree, and that is the truth about the pair.
    Where the case has no given name, the first way round decides alone; where the
    trace has none, the given name is unknown (a Rohingya child's one name written as
    the family name still agrees there, as a family name).
    """
    t_nick, c_nick = traces.nick[t], cases.nick[c]
    forward = compare_name_part(sim, traces.given[t], t_nick, cases.names[c], c_nick)
    # the weaker way counts, so where the first way finds no agreement (most of a
    # trace's candidates) the second need not look
    backward = compare_name_part(
        sim, cases.given[c], c_nick, traces.names[t], t_nick, np.flatnonzero(forward.levels != 0)
    )
    both = (forward.levels != NULL) & (backward.levels != NULL)
    levels = np.where(both, np.minimum(forward.levels, backward.levels), forward.levels)
    conflict = _given_names_conflict(sim, traces, cases, t, c, levels)
    # Hassan is not Hussein, however alike the spellings (`distinct_name`)
    agree = np.flatnonzero(levels >= 1)
    ta, ca = t[agree], c[agree]
    conflict[agree] |= sim.distinct_names_differ(
        traces.given[ta], cases.given[ca], traces.names[ta], cases.names[ca]
    )
    levels = np.where(conflict, 0, levels)
    script = np.flatnonzero((levels == 2) | (levels == 4))
    levels[script[_long_vowels_differ(sim, traces, cases, t[script], c[script])]] = 1
    split = np.flatnonzero(levels >= 2)
    loose = _whole_names_differ(sim, traces, cases, t[split], c[split])
    levels[split[loose]] = 1
    differ = np.flatnonzero(levels == 0)
    levels[differ[_one_name_within(sim, traces, cases, t[differ], c[differ])]] = 1
    differ = np.flatnonzero(levels == 0)
    levels[differ[_one_word_the_family_name(sim, traces, cases, t[differ], c[differ])]] = 1
    # a nickname the table lacks (Nika for Veronika): one side's given name a possible
    # shortening of the other's (`comparators.short_form`), no more than loosely similar
    # (not names told apart on purpose: Hassan and Hussein, one skeleton)
    differ = np.flatnonzero((levels == 0) & ~conflict)
    short = differ[sim.short_forms(traces.own_given[t[differ]], cases.own_given[c[differ]])]
    ts, cs = t[short], c[short]
    told_apart = sim.distinct_names_differ(
        traces.given[ts], cases.given[cs], traces.names[ts], cases.names[cs]
    )
    levels[short[~told_apart]] = 1
    # a pet name (Kutty, Kanchha, Munna: `is_pet_name`) is given whatever the child's
    # name: it neither agrees nor differs, but no more than loosely similar (never
    # `likely` on the family's evidence alone, which a brother shares)
    differ = np.flatnonzero(levels == 0)
    pet = sim.pet_names_only(traces.own_given[t[differ]]) | sim.pet_names_only(
        cases.own_given[c[differ]]
    )
    levels[differ[pet]] = 1
    exact = np.where((levels == forward.levels)[:, None], forward.exact_token, PAD)
    return NameLevels(levels.astype(np.int8), exact)


def _long_vowels_differ(
    sim: TokenSimilarity, traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Pairs whose given names are both written in the Arabic script, no word of one
    agreeing with a word of the other once every vowel written counts as long.

    The script leaves short vowels out, so against a Latin spelling a missing vowel
    is no disagreement (محمد is Mohammed). Between two Arabic-script spellings it is:
    محمود (Mahmoud) writes a long u that محمد (Mohammed) lacks, حسين (Hussein) a long
    i that حسن (Hassan) lacks; one skeleton and close spellings made each pair "the
    same name". Such a pair is at most "loosely similar".
    """
    a, b = traces.native_given[t], cases.native_given[c]
    rows = np.flatnonzero((a != PAD).any(axis=1) & (b != PAD).any(axis=1))
    out = np.zeros(len(t), dtype=bool)
    if not len(rows):
        return out
    a, b = a[rows], b[rows]
    equal = ((a[:, :, None] == b[:, None, :]) & (a[:, :, None] != PAD)).any(axis=(1, 2))
    _, same_key = sim.compare(a, b)  # one skeleton, under its own spelling or a reading
    agree = equal.copy()
    strings = sim.strings
    for row, i, j in zip(*np.nonzero(same_key & ~equal[:, None, None]), strict=True):
        if not agree[row]:
            x, y = strings[a[row, i]], strings[b[row, j]]
            agree[row] = vowels_agree(x, y, unvocalized=True) is not False
    out[rows] = ~agree
    return out


def _whole_names_differ(
    sim: TokenSimilarity, traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Pairs whose given names agree, where one side writes its whole name in the
    given-name field and the other splits it, and each holds a word the other lacks.

    Rohingya and Bangladeshi names have no family name: Mohammed Alom is one name,
    and "Mohammed" the word that starts a great many. An inquirer who writes
    Mohammed | Yasin is not asking for Mohammed Alom, though the given names agree
    on "Mohammed": Yasin, sought as a family name, is nowhere in Mohammed Alom, and
    Alom nowhere in Mohammed Yasin. Such a pair is "loosely similar" (never `likely`),
    not "different": María José may be María | López with one name left out on
    each side.
    """
    out = np.zeros(len(t), dtype=bool)
    for whole, split, w_rows, s_rows in ((traces, cases, t, c), (cases, traces, c, t)):
        # the given-name field as written: an alias (Sandro, other names) beside
        # Aleksandre is another given name, not the rest of a whole name
        w_given = whole.own_given[w_rows]
        rows = np.flatnonzero(
            (whole.family[w_rows] == PAD).all(axis=1)
            & ((w_given != PAD).sum(axis=1) >= 2)
            & (split.family[s_rows] != PAD).any(axis=1)
        )
        if not len(rows):
            continue
        out[rows] |= _each_holds_a_word_unfound(
            sim,
            w_given[rows],
            split.names[s_rows[rows]],
            split.family[s_rows[rows]],
            whole.names[w_rows[rows]],
        )[0]
    return out


def _one_word_the_family_name(
    sim: TokenSimilarity, traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Pairs where one side's whole name is one word, the other side's family name.

    Ancha, registered by her family name alone, is Tembe Ancha written the other way
    round (Tembe, family name Ancha): her record does not say her given name, so it
    cannot differ from Tembe. Such a pair is "loosely similar", as a name found whole
    within the other (`_one_name_within`), not "different".
    """
    out = np.zeros(len(t), dtype=bool)
    for ours, theirs, a, b in ((traces, cases, t, c), (cases, traces, c, t)):
        whole = np.concatenate([ours.given[a], ours.family[a]], axis=1)
        rows = np.flatnonzero(
            ((whole != PAD).sum(axis=1) == 1) & (theirs.family[b] != PAD).any(axis=1)
        )
        if not len(rows):
            continue
        word = np.sort(whole[rows], axis=1)[:, -1:]  # the one word (PAD sorts first)
        jw, same_key = sim.compare(word, theirs.family[b[rows]])
        out[rows] |= ((jw >= 0.90) | same_key).any(axis=(1, 2))
    return out


def _one_name_within(
    sim: TokenSimilarity, traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Pairs where one side's whole name, two words or more, is found in the other's.

    Kanyere Kwizera is Furaha Kanyere Kwizera registered without her first name (a
    Congolese child's Christian name is often left out, the postnom kept): the given
    names differ only because one is missing. Such a pair is "loosely similar", not
    "different"; her sister Esther Kavira Kwizera is still different. The shorter name
    must be the longer one's last words, in their order (`_ends_with`): Mohamed
    Abdullahi (son of Abdullahi, named after his grandfather) is within his brother's
    chain Ibrahim Abdullahi Mohamed, but not as its end.
    """
    out = np.zeros(len(t), dtype=bool)
    # the name fields as written (their words and joins), not other names: a word
    # given twice counts twice, so Ibrahim Abdi Ibrahim (named after his grandfather)
    # is not within his brother Mohamed Abdi Ibrahim
    a = np.concatenate([traces.given[t], traces.family[t]], axis=1)
    b = np.concatenate([cases.given[c], cases.family[c]], axis=1)
    count_a, count_b = (a != PAD).sum(axis=1), (b != PAD).sum(axis=1)
    rows = np.flatnonzero((np.minimum(count_a, count_b) >= 2) & (count_a != count_b))
    if not len(rows):
        return out
    a, b = a[rows], b[rows]
    jw, same_key = sim.compare(a, b)
    found = (jw >= 0.90) | same_key
    shorter_a = count_a[rows] < count_b[rows]
    a_within = np.where(a != PAD, found.any(axis=2), True).all(axis=1)
    b_within = np.where(b != PAD, found.any(axis=1), True).all(axis=1)
    within = np.where(shorter_a, a_within, b_within)
    for k in np.flatnonzero(within).tolist():
        if shorter_a[k]:
            within[k] = _ends_with(sim.strings, b[k], a[k], found[k].T)
        else:
            within[k] = _ends_with(sim.strings, a[k], b[k], found[k])
    out[rows] = within
    return out


def _words(strings: list[str], ids: np.ndarray) -> list[int]:
    """Positions of a name's words, in order: not padding, not a join of two others
    (`mariajose` beside `maria` and `jose`)."""
    present = [i for i, t in enumerate(ids.tolist()) if t != PAD]
    texts = {strings[ids[i]] for i in present}
    return [i for i in present if not _is_join(strings[ids[i]], texts)]


def _ends_with(
    strings: list[str], longer: np.ndarray, shorter: np.ndarray, found: np.ndarray
) -> bool:
    """Whether the words of `shorter` are the last words of `longer`, in order
    (`found[i, j]`: word i of `longer` agrees with word j of `shorter`)."""
    long_words, short_words = _words(strings, longer), _words(strings, shorter)
    if len(short_words) > len(long_words):
        return False
    tail = long_words[len(long_words) - len(short_words) :]
    return all(found[i, j] for i, j in zip(tail, short_words, strict=True))


def _family_names_differ(
    sim: TokenSimilarity, traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Pairs whose family names agree on one word while each holds another that the
    other record's names lack.

    A family name of two words is two people's names: the father's and grandfather's
    in a Somali or Arabic chain (Nimco Ali Hassan, daughter of Ali; Nimco Abdi Ali,
    daughter of Abdi), the father's and the mother's surnames in Spanish (García
    Álvarez; Flores). "Ali" in common is no agreement of such names: the pair is
    "loosely similar". One side's word missing is no conflict (Vásquez Pérez
    registered as Vásquez).
    """
    out = np.zeros(len(t), dtype=bool)
    t_family, c_family = traces.family[t], cases.family[c]
    t_count, c_count = (t_family != PAD).sum(axis=1), (c_family != PAD).sum(axis=1)
    # two words on one side at least (a join of two words makes three tokens)
    rows = np.flatnonzero((t_count > 0) & (c_count > 0) & (np.maximum(t_count, c_count) >= 3))
    if not len(rows):
        return out
    out[rows] = _each_holds_a_word_unfound(
        sim, t_family[rows], cases.names[c[rows]], c_family[rows], traces.names[t[rows]]
    )[0]
    return out


def _each_holds_a_word_unfound(
    sim: TokenSimilarity,
    part_a: np.ndarray,
    names_b: np.ndarray,
    part_b: np.ndarray,
    names_a: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows where `part_a` holds a word found nowhere among `names_b`, and `part_b` one
    found nowhere among `names_a` (the joins of two words are no words of their own);
    and those words, per side (`_unexplained`)."""
    a_words = _unexplained(sim, part_a, names_b)
    b_words = _unexplained(sim, part_b, names_a)
    out = a_words.any(axis=1) & b_words.any(axis=1)
    differ = np.flatnonzero(out)
    if len(differ):
        joined = _joins_only(sim, part_a[differ], a_words[differ]) | _joins_only(
            sim, part_b[differ], b_words[differ]
        )
        out[differ[joined]] = False
    return out, a_words, b_words


def _one_word_twice(
    sim: TokenSimilarity,
    traces: Encoded,
    cases: Encoded,
    t: np.ndarray,
    c: np.ndarray,
    family_levels: np.ndarray,
) -> np.ndarray:
    """Pairs whose family name agrees, where the trace's given and family names share a
    word and the case names a family of its own.

    An Afghan boy with no surname is often written Mohammad | Mohammad, his father's
    name in the family field. Sought among all the case's names, that family name
    finds the given name of Mohamad Ahmady, which the given name found already: one
    word of the case cannot be both, and Ahmady is nowhere in the trace.
    """
    rows = np.flatnonzero(
        (family_levels >= 2)
        & (traces.given[t] != PAD).any(axis=1)
        & (cases.family[c] != PAD).any(axis=1)
    )
    if not len(rows):
        return rows
    # a question of the trace alone: asked once a trace, not once a candidate
    sought, at = np.unique(t[rows], return_inverse=True)
    _, same_key = sim.compare(traces.given[sought], traces.family[sought])
    return rows[same_key.any(axis=(1, 2))[at]]


def _without_given(cases: Encoded, c: np.ndarray) -> np.ndarray:
    """The case's names less its given name's words (those of its family name kept)."""
    names, given, family = cases.names[c], cases.given[c], cases.family[c]
    in_given = (names[:, :, None] == given[:, None, :]).any(axis=2)
    in_family = (names[:, :, None] == family[:, None, :]).any(axis=2)
    return np.where(in_given & ~in_family, PAD, names)


def _without_aliases(sim: TokenSimilarity, cases: Encoded, c: np.ndarray) -> np.ndarray:
    """The case's names less its aliases' given names: the first words of its other
    names (`Encoded.given` holds them beside the given-name field's own words,
    `own_given`), and any word that is a form of its own given name (Sandro beside
    Aleksandre, which `Encoded.given` leaves out: it stands for the given name)."""
    names, given, own = cases.names[c], cases.given[c], cases.own_given[c]
    alias = (names[:, :, None] == given[:, None, :]).any(axis=2) & ~(
        names[:, :, None] == own[:, None, :]
    ).any(axis=2)
    alias |= sim.related(names, own).any(axis=2)
    return np.where(alias & (names != PAD), PAD, names)


def _no_family_name(
    sim: TokenSimilarity,
    traces: Encoded,
    cases: Encoded,
    t: np.ndarray,
    c: np.ndarray,
    levels: np.ndarray,
) -> np.ndarray:
    """Pairs whose family name "differs" only because the case gives none.

    A trace's family name is sought among all of the case's names, for fields get
    swapped. But Roya registered as Roya alone has no name that could be Zabihulla's:
    where the case has no family name and each of its words is the trace's given
    name's, the family name is missing (neutral), not different. Nor is a case of one
    word alone, whatever it is: Claudine, registered so, is not Clo Hakizimana's given
    name, and that is said once, by the given name; she has no word left that could be
    a family name differing from Hakizimana.
    """
    out = np.zeros(len(t), dtype=bool)
    rows = np.flatnonzero((levels == 0) & (cases.family[c] == PAD).all(axis=1))
    if len(rows):
        # an alias's first word (Sandro beside Aleksandre) is a given name, never a
        # family name that could differ
        names = _without_aliases(sim, cases, c[rows])
        extra = _unexplained(sim, names, traces.given[t[rows]])
        out[rows] = ~extra.any(axis=1) | ((names != PAD).sum(axis=1) == 1)
    return out


def _family_names_from_the_chain(
    sim: TokenSimilarity, traces: Encoded, cases: Encoded, t: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Pairs whose family names differ only because each record took its family name
    from another link of the father's chain.

    A Somali, Arab, Ethiopian or Eritrean child carries the father's and grandfather's
    given names: Ameena Ismail and Ameena Mohamed, daughter of Ismael Mohamed Tahir,
    are one girl written from two links. Where both records name the father and each
    record's family name is found, word for word, in the *other* record's father's
    name (a stranger's family name lies in the trace's own chain by chance far more
    often: Mohamed, Ahmed), the family names neither agree nor differ: neutral. The
    fathers' names are weighed as fathers, and the child's own features still tell a
    brother, who shares the chain, from the child.
    """
    out = np.zeros(len(t), dtype=bool)
    t_family, c_family = traces.family[t], cases.family[c]
    t_father, c_father = traces.father[t], cases.father[c]
    rows = np.flatnonzero(
        (t_family != PAD).any(axis=1)
        & (c_family != PAD).any(axis=1)
        & (t_father != PAD).any(axis=1)
        & (c_father != PAD).any(axis=1)
    )
    if not len(rows):
        return out
    found = np.ones(len(rows), dtype=bool)
    for family, father in ((t_family[rows], c_father[rows]), (c_family[rows], t_father[rows])):
        jw, same_key = sim.compare(family, father)
        in_chain = ((jw >= 0.90) | same_key).any(axis=2)
        found &= ((family == PAD) | in_chain | _join_of_two_found(sim, family, in_chain)).all(
            axis=1
        )
    out[rows] = found
    return out


def _join_of_two_found(sim: TokenSimilarity, tokens: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Per token of `tokens` (P, K): whether it is as long as two other tokens of its
    row that were `found`, together: the join of two words (`matching.encode`'s
    "maxamedliibaan" beside "maxamed" and "liibaan"), found where its words are,
    though a join spelled one way seldom meets the other spelling's join."""
    lengths = sim.lengths(tokens)
    width = tokens.shape[1]
    parts = found[:, :, None] & found[:, None, :] & ~np.eye(width, dtype=bool)
    sums = np.where(parts, lengths[:, :, None] + lengths[:, None, :], -1)
    return (sums[:, None, :, :] == lengths[:, :, None, None]).any(axis=(2, 3)) & (tokens != PAD)


def _unexplained(sim: TokenSimilarity, part: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Per token of `part` (P, K): a word of the given name that none of the other
    record's names resembles."""
    jw, same_key = sim.compare(part, names)
    resembled = ((jw >= 0.80) | same_key).any(axis=2)
    return (part != PAD) & ~resembled


def _joins_only(sim: TokenSimilarity, part: np.ndarray, unexplained: np.ndarray) -> np.ndarray:
    """Rows whose unexplained words are all joins of two of the row's other words.

    The joins of neighbouring words (`kusayalali` beside `kusay` and `alali`, kept so
    that Mariajose meets Maria Jose) are no words of their own: only what they join
    can be unexplained.
    """
    out = ~unexplained.any(axis=1)
    # a join is as long as two other words of its row together: rows with an
    # unexplained word no two others add up to are settled without reading a string
    lengths = np.where(part != PAD, sim.lengths(part), -(1 << 20))
    sums = lengths[:, :, None] + lengths[:, None, :]
    fits = (sums[:, None, :, :] == lengths[:, :, None, None]).any(axis=(2, 3))
    check = np.flatnonzero(~out & ~(unexplained & ~fits).any(axis=1))
    strings = sim.strings
    for row in check.tolist():
        words = [strings[t] for t in part[row] if t != PAD]
        out[row] = all(
            _is_join(strings[part[row, column]], words)
            for column in np.flatnonzero(unexplained[row])
        )
    return out


def _is_join(word: str, words: Collection[str]) -> bool:
    """Whether `word` is two others of `words` written as one (`mariajose`)."""
    return any(word == a + b for a in words for b in words if word not in (a, b))


def _given_names_conflict(
    sim: TokenSimilarity,
    traces: Encoded,
    cases: Encoded,
    t: np.ndarray,
    c: np.ndarray,
    levels: np.ndarray,
) -> np.ndarray:
    """Pairs whose given names agree on one word only because both hold another that differs.

    Yelyzaveta Viktorivna and her sister Sofia Viktorovna share a patronymic; Rashida
    Begum and Tasmin Begum a title; Mohammad Sheikho (all in the given-name field) and
    his brother Ahmed Ali Sheikho a surname. "Any word in common" called each pair the
    same given name. A word found nowhere among the other record's names, on *both*
    sides, is a given name that differs. One side's extra word is no conflict (María
    José registered as María), nor is a nickname (Sasha for Oleksandr).
    """
    conflict = np.zeros(len(t), dtype=bool)
    t_given, c_given = traces.given[t], cases.given[c]
    several = ((t_given != PAD).sum(axis=1) > 1) | ((c_given != PAD).sum(axis=1) > 1)
    rows = np.flatnonzero(several & (levels >= 2))
    if not len(rows):
        return conflict
    tr, cr = t[rows], c[rows]
    given_t, given_c = t_given[rows], c_given[rows]
    differs, t_words, c_words = _each_holds_a_word_unfound(
        sim, given_t, cases.names[cr], given_c, traces.names[tr]
    )
    # the few rows left: is what differs only a nickname?
    check = np.flatnonzero(differs)
    if len(check):
        strings = sim.strings
        for row in check.tolist():
            mine = [strings[w] for w in given_t[row][t_words[row]]]
            theirs = [strings[w] for w in given_c[row][c_words[row]]]
            if _nickname_related(mine, theirs):
                differs[row] = False
    conflict[rows] = differs
    return conflict


def _nickname_related(words: list[str], others: list[str]) -> bool:
    """Whether a word of one list is a nickname or other-language form of one of the
    others (Sasha and Oleksandra: both stand for one name).

    Only the words that differ are looked at: Jean-Pierre and Jean-Claude both hold
    Jean, whose Spanish form is Juan, and that says nothing about Pierre and Claude.
    """

    def forms(items: list[str]) -> set[str]:
        return {
            skeleton(form)
            for item in items
            for form in nickname_canonicals(item, by_skeleton=False) | {item}
        }

    return bool(forms(words) & forms(others))


def _same_path(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two place paths (rows of level ids) are given and the same."""
    return (a != PAD).any(axis=1) & (a == b).all(axis=1)


def _place_levels(
    sim: TokenSimilarity, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Places by hierarchy level, and the place of `b` agreed on (`place_agreement`);
    a place given only as its country says nothing.

    "Ukraina" against "Ukraine > Kherson Oblast > Oleshky" agrees as far as it goes.
    Scored as "same country" it would count against the pair (true matches mostly
    agree on the town), yet the record simply did not say more. Paths run coarse to
    fine, so a one-level path that agrees with the other path's first level (or with
    another one-level path) is a country, or a place nobody can tell apart: neutral.
    """
    levels, agreed = place_agreement(sim, a, b)
    depth_a, depth_b = (a != PAD).sum(axis=1), (b != PAD).sum(axis=1)
    depth = np.minimum(depth_a, depth_b)
    rows = np.flatnonzero((depth == 1) & (levels >= 0))
    if len(rows):
        first = sim.pairwise(a[rows, :1], b[rows, :1])[:, 0, 0] >= 0.90
        levels[rows[first]] = NULL
    # One level that agrees with nothing on the other side: a different place only
    # where the two can be told apart. "Україна" against "Харьковская область", "El
    # Geneina" against "Soudan > Darfour-Occidental": a country against a region, a
    # town against a path that stops above the towns, which may well hold it.
    rows = np.flatnonzero((depth == 1) & (levels == 0))
    if len(rows):
        a_single = depth_a[rows] == 1
        one = np.where(a_single, a[rows, 0], b[rows, 0])
        other = np.where(a_single[:, None], b[rows], a[rows])
        depth_other = (other != PAD).sum(axis=1)
        tokens, inverse = np.unique(np.concatenate([one, other[:, 0]]), return_inverse=True)
        country = np.array([is_country(sim.strings[t]) for t in tokens.tolist()])[inverse]
        single, top = country[: len(rows)], country[len(rows) :]
        # a country tells only against another country; a town or region neither
        # against a country nor against a path that stops above it
        neutral = np.where(single, ~top, np.where(depth_other == 1, top, depth_other == 2))
        levels[rows[neutral]] = NULL
    return levels, agreed


def compare_child(
    sim: TokenSimilarity,
    traces: Encoded,
    cases: Encoded,
    trace_rows: np.ndarray,
    case_rows: np.ndarray,
) -> Comparison:
    """The first stage: the child's own name, birth, sex and documents, the family's
    phone numbers and the date of separation (others missing).

    Cheap enough for every candidate; the rest of the comparison runs only on the
    pairs this stage keeps.
    """
    t, c = trace_rows, case_rows
    p = len(t)
    levels = np.full((p, len(FEATURES)), NULL, dtype=np.int8)
    if p == 0:
        empty = np.empty((0, 1), np.int32)
        return Comparison(levels, empty, empty, empty, empty, empty, empty)
    c_names = cases.names[c]
    given = _compare_given(sim, traces, cases, t, c)
    no_nick = np.full((p, 1), PAD, dtype=np.int32)
    family = compare_name_part(sim, traces.family[t], no_nick, c_names, no_nick)
    levels[:, 0] = given.levels
    family_levels = family.levels.copy()
    twice = _one_word_twice(sim, traces, cases, t, c, family_levels)
    family_levels[twice] = compare_name_part(
        sim,
        traces.family[t[twice]],
        no_nick[twice],
        _without_given(cases, c[twice]),
        no_nick[twice],
    ).levels
    agree = np.flatnonzero(family_levels >= 2)
    family_levels[agree[_family_names_differ(sim, traces, cases, t[agree], c[agree])]] = 1
    levels[:, 1] = np.where(
        _no_family_name(sim, traces, cases, t, c, family_levels), NULL, family_levels
    )
    levels[:, 2] = compare_birth(
        traces.birth_lo[t],
        traces.birth_hi[t],
        traces.has_dob[t],
        cases.birth_lo[c],
        cases.birth_hi[c],
        cases.has_dob[c],
        traces.birth_slack[t],
        cases.birth_slack[c],
    )
    levels[:, 3] = compare_sex(traces.sex[t], cases.sex[c])
    # the child's own documents: cheap, and decisive when names were mistyped
    levels[:, 9] = _compare_documents(traces, cases, t, c)
    # and the family's phone or household number: a registration whose name and age
    # were written far apart (Mohammed Shamsul, born 2008, against Mohamed Shomsu,
    # born 2010) must not be pruned before the number it shares is seen
    levels[:, 10] = _compare_id_sets(
        traces.contacts, cases.contacts, traces.holds_contacts, cases.holds_contacts, t, c
    )
    # the day the family was separated: shared by brothers and sisters, but a
    # stranger's is another day; cheap, so it helps decide what the first stage keeps
    separated = compare_dates(traces.separation_day[t], cases.separation_day[c])
    # the day a town fell is shared by strangers: on such a day, the same week at most
    separated[(separated == 4) & cases.common_separation_day[c]] = 3
    levels[:, FEATURE_INDEX["separation_date"]] = separated
    days = (
        traces.record_day[t],
        traces.separation_day[t],
        cases.record_day[c],
        cases.separation_day[c],
    )
    levels[:, FEATURE_INDEX["chronology"]] = compare_chronology(*days)
    levels[:, FEATURE_INDEX["record_dates"]] = compare_record_dates(*days)
    unknown = np.full((p, 1), PAD, dtype=np.int32)  # parents, places: the second stage's
    return Comparison(
        levels, given.exact_token, family.exact_token, unknown, unknown, unknown, unknown
    )


def compare_family(
    sim: TokenSimilarity,
    traces: Encoded,
    cases: Encoded,
    trace_rows: np.ndarray,
    case_rows: np.ndarray,
    child: Comparison,
) -> Comparison:
    """The second stage: parents, inquirer, places, background."""
    t, c = trace_rows, case_rows
    levels = child.levels.copy()
    if len(t) == 0:
        return child
    c_mother, c_father, c_care = cases.mother[c], cases.father[c], cases.other_adult[c]
    t_mother, t_father = traces.mother[t], traces.father[t]
    levels[:, 4] = _parent_levels(sim, t_mother, c_mother, c_care)
    levels[:, 5] = _parent_levels(sim, t_father, c_father, c_care)
    # a teknonym (Abu Hassan, Umm Ahmad) names the parent's eldest son: against the
    # parent's own name it says nothing, neither agreement nor difference
    levels[:, 4:6][traces.teknonym[t] != cases.teknonym[c]] = NULL
    mother_token = _agreeing_words(sim, t_mother, levels[:, 4], c_mother, c_care)
    father_token = _agreeing_words(sim, t_father, levels[:, 5], c_father, c_care)
    # the inquirer, when not a parent already compared above, against the case's adults:
    # the caregiver is often someone else, so only agreement is evidence
    inquirer = np.where((traces.relation[t] == 0)[:, None], traces.other_adult[t], PAD)
    inquirer_levels = person_levels(_max_person(sim, inquirer, c_care, c_mother, c_father))
    levels[:, 6] = np.where(inquirer_levels == 0, NULL, inquirer_levels)
    levels[:, 7], origin_token = _place_levels(sim, traces.origin[t], cases.origin[c])
    levels[:, 8], separation_token = _place_levels(sim, traces.separation[t], cases.separation[c])
    # where both records give one place as origin and separation place, the second
    # comparison repeats the first: counted twice, a town shared by chance (children of
    # one town flee by one road) would weigh as two agreements
    repeated = _same_path(traces.origin[t], traces.separation[t]) & _same_path(
        cases.origin[c], cases.separation[c]
    )
    levels[repeated, 8] = NULL
    levels[:, 11] = compare_masks(traces.background[t], cases.background[c])
    chain = np.flatnonzero(levels[:, 1] == 0)
    chain = chain[_family_names_from_the_chain(sim, traces, cases, t[chain], c[chain])]
    levels[chain, 1] = NULL
    return Comparison(
        levels,
        child.given_token,
        child.family_token,
        mother_token,
        father_token,
        origin_token[:, None],
        separation_token[:, None],
    )


def compare_pairs(
    sim: TokenSimilarity,
    traces: Encoded,
    cases: Encoded,
    trace_rows: np.ndarray,
    case_rows: np.ndarray,
) -> Comparison:
    """Compare trace `trace_rows[p]` with case `case_rows[p]` for every p (vectorised)."""
    child = compare_child(sim, traces, cases, trace_rows, case_rows)
    return compare_family(sim, traces, cases, trace_rows, case_rows, child)
