"""Sentence constructions of wire copy that earlier extractors misread, one test each.

The sentences were written for these tests (in the style of Feb 2022 reporting); each test
names the wrong reading it guards against.
"""

from __future__ import annotations

from datetime import date

from forcewatch.claims.extract import extract_claims
from forcewatch.claims.model import Change, Claim, ClaimKind, Direction, Force, QuantityQualifier

PUBLISHED = date(2022, 2, 16)


def _claims(text: str) -> list[Claim]:
    return extract_claims(text, PUBLISHED, "Example Wire")


def _only(text: str) -> Claim:
    claims = _claims(text)
    assert len(claims) == 1, [(c.kind.value, c.speaker, c.quote) for c in claims]
    return claims[0]


def test_its_forces_belong_to_the_state_named_before_them_not_to_the_speaker() -> None:
    claim = _only(
        "A senior US official said on Tuesday that Russia had increased its forces along the "
        "border by as many as 7,000 troops in recent days, some arriving as recently as Monday."
    )
    assert claim.force is Force.RUSSIA  # was US: "its" went to the speaker's side
    assert claim.quantity == 7000 and claim.trend is Change.INCREASE


def test_a_state_after_a_preposition_is_a_place_not_the_subject() -> None:
    claim = _only(
        "Russia said on Tuesday that some of its troops deployed near Ukraine were returning "
        "to their bases after exercises."
    )
    assert claim.kind is ClaimKind.WITHDRAWAL
    assert claim.force is Force.RUSSIA  # was UKRAINE: "near Ukraine were returning"


def test_no_evidence_that_negates_the_direction_it_governs() -> None:
    claim = _only(
        "Britain's defence ministry said it had seen no evidence that Russian forces were "
        "pulling back, and that armoured vehicles continued to move towards the border."
    )
    assert claim.direction is Direction.TOWARD  # was AWAY, from "pulling back"


def test_a_distance_in_words_gives_a_band() -> None:
    claim = _only(
        "Maxar said its images showed Russia has built a pontoon bridge across the river "
        "less than four miles from the border with Ukraine."
    )
    assert claim.kind is ClaimKind.BUILD_UP  # "has built a bridge": was COUNT
    assert claim.band_km == (0.0, 6.4)


def test_the_defence_ministry_of_the_state_the_sentence_opens_with() -> None:
    claims = _claims(
        "Britain's defence ministry said Russian forces were still moving towards the border. "
        "In Belarus, where some 30,000 Russian soldiers are taking part in drills, the defence "
        "ministry said all Russian troops would leave the country once the drills end on 20 "
        "February."
    )
    leave = [c for c in claims if c.kind is ClaimKind.WITHDRAWAL]
    assert len(leave) == 1, [(c.kind.value, c.speaker) for c in claims]
    # was the UK ministry of the sentence before; "leave the country" was not read at all
    assert leave[0].speaker == "Belarusian Ministry of Defence"
    assert leave[0].window_start == date(2022, 2, 20)


def test_saying_reports_for_the_subject_that_opens_the_sentence() -> None:
    claim = _only(
        "Russia's defence ministry on Wednesday released footage of tanks crossing a bridge "
        "from Crimea, saying units were returning to their permanent bases."
    )
    assert claim.speaker == "Russian Ministry of Defence"  # was the outlet's own voice
    assert claim.kind is ClaimKind.WITHDRAWAL


def test_up_from_a_number_is_an_increase() -> None:
    claim = _only(
        "A US defence official said about 150,000 Russian troops were now massed around "
        "Ukraine, up from 100,000 last month."
    )
    assert claim.quantity == 150000 and claim.trend is Change.INCREASE


def test_its_imagery_is_the_imagery_of_the_firm_that_speaks() -> None:
    claim = _only(
        "Satellite firm Planet Labs says its imagery shows that a field hospital has been set "
        "up near Belgorod in the past week."
    )
    assert claim.speaker == "Planet Labs"  # was "Satellite imagery (unattributed)"
    assert claim.kind is ClaimKind.BUILD_UP
    assert (claim.window_start, claim.window_end) == (date(2022, 2, 9), PUBLISHED)  # one week


def test_an_intelligence_service_is_a_speaker() -> None:
    claim = _only(
        "Estonia's foreign intelligence service says Russia has deployed around 150,000 troops "
        "near Ukraine."
    )
    assert "intelligence service" in claim.speaker  # was the outlet's own voice
    assert claim.quantity == 150000 and claim.force is Force.RUSSIA


def test_a_nominal_withdrawal_of_troops_is_a_claim() -> None:
    claim = _only(
        "Kremlin spokesman Dmitry Peskov told reporters that the pullout of troops would take "
        "some time."
    )
    assert claim.kind is ClaimKind.WITHDRAWAL and "Peskov" in claim.speaker  # was no claim


def test_imagery_from_a_date_shows() -> None:
    claim = _only(
        "Commercial satellite imagery from February 15 shows at least 10 new battalion tactical "
        "groups in Kursk and Bryansk oblasts, roughly 60 kilometers from the border."
    )
    assert claim.quantity == 10 and claim.unit == "battalion tactical groups"  # was no claim
    assert claim.band_km == (54.0, 66.0)


def test_a_military_district_press_service_speaks_for_the_russian_ministry() -> None:
    claim = _only(
        "Tank units of the Western Military District have returned to their permanent "
        "garrisons after exercises, the district's press service reported on Thursday."
    )
    assert claim.speaker == "Russian Ministry of Defence"  # was the outlet's own voice
    assert claim.kind is ClaimKind.WITHDRAWAL


def test_arriving_at_the_home_station_is_a_withdrawal() -> None:
    claims = _claims(
        "The Western Military District's press service said 15 tanks had completed drills. "
        "A train carrying equipment of the 6th Combined Arms Army has arrived at its home "
        "station, the press service said."
    )
    train = [c for c in claims if "train" in c.quote]
    assert len(train) == 1, [(c.kind.value, c.speaker, c.quote) for c in claims]
    assert train[0].kind is ClaimKind.WITHDRAWAL  # was ARRIVAL
    assert train[0].speaker == "Russian Ministry of Defence"  # "the press service"


def test_the_prime_minister_is_the_one_named_before() -> None:
    claims = _claims(
        "Boris Johnson said intelligence shows Russian troops moving closer to Ukraine. The "
        "prime minister said new field hospitals had been built near the border."
    )
    assert {c.speaker for c in claims} == {"Boris Johnson, UK Prime Minister"}  # was generic
    assert {c.kind for c in claims} == {ClaimKind.MOVEMENT, ClaimKind.BUILD_UP}


def test_moved_forces_to_the_border_with_troops_added() -> None:
    claim = _only(
        "The UK defence secretary Ben Wallace said Russia had moved 60% of its combat forces to "
        "the border, with more than 10,000 troops added in the last few days."
    )
    assert claim.direction is Direction.TOWARD  # was None: words between "moved" and "to"
    assert claim.trend is Change.INCREASE  # "troops added"
    assert claim.quantity == 10000


def test_no_date_for_the_withdrawal_denies_it() -> None:
    claim = _only(
        "Belarus's defence minister Viktor Khrenin said no date had been set for the withdrawal "
        "of Russian troops from the country."
    )
    assert claim.kind is ClaimKind.DENIAL  # was a WITHDRAWAL claim
    assert claim.denied_kind is ClaimKind.WITHDRAWAL


def test_a_count_that_rose_from_one_number_to_another_is_the_second() -> None:
    claim = _only(
        "Images captured on February 15 by Maxar show that the number of helicopters at the "
        "airfield in Belarus increased from 4 to 34."
    )
    assert claim.speaker == "Maxar Technologies"
    assert (claim.quantity, claim.unit) == (34, "helicopters")  # was no number
    assert claim.trend is Change.INCREASE


def test_a_name_described_after_a_comma_is_the_speaker() -> None:
    claim = _only(
        "Jane Roe, a senior fellow at the Example Institute, said more than 40 tanks had "
        "arrived near Yelnya."
    )
    assert claim.speaker == "Jane Roe, senior fellow at the Example Institute"  # was the outlet
    assert claim.quantity == 40 and claim.kind is ClaimKind.ARRIVAL


def test_images_taken_on_two_days_show() -> None:
    claim = _only(
        "New satellite images from Maxar Technologies, taken on Tuesday and Wednesday, show "
        "several new deployments of armour and artillery units near Belgorod."
    )
    assert claim.speaker == "Maxar Technologies"  # was no claim: the gap was not understood
    assert claim.trend is Change.INCREASE and claim.places == ("Belgorod",)


def test_as_it_claimed_inside_a_quotation_is_not_its_source() -> None:
    claims = _claims(
        "The Kremlin said on Tuesday that some troops were heading back to base. Antony Blinken "
        'told the UN: "We see no pullback." He added: "Russia has moved troops closer to the '
        'border, not away from it, as it claimed."'
    )
    toward = [c for c in claims if c.direction is Direction.TOWARD]
    assert len(toward) == 1, [(c.kind.value, c.speaker) for c in claims]
    assert "Blinken" in toward[0].speaker  # was the Kremlin, from "as it claimed"


def test_a_model_designation_between_number_and_unit() -> None:
    claim = _only(
        "A Ukrainian military source said Russian forces had positioned 20 Su-25 attack jets at "
        "an airbase in Belarus, just 30 miles from the border."
    )
    assert (claim.quantity, claim.unit) == (20, "aircraft")  # was no number
    assert claim.band_km == (0.0, 48.3)  # "just 30 miles": at most


def test_a_border_guard_service_says_the_number_has_not_decreased() -> None:
    claim = _only(
        "According to Ukraine's border guard service, the number of Russian troops along the "
        "border has not decreased."
    )
    assert "border guard service" in claim.speaker  # was no claim
    assert claim.kind is ClaimKind.DENIAL and claim.denied_kind is ClaimKind.WITHDRAWAL


def test_officials_estimate_a_range() -> None:
    claim = _only(
        "US officials estimate Russia has between 169,000 and 190,000 personnel in and near "
        "Ukraine."
    )
    assert claim.speaker == "US officials (anonymous)"  # "estimate" was no reporting verb
    assert claim.quantity == 190000 and claim.quantity_qualifier is QuantityQualifier.UP_TO


def test_the_pentagons_press_secretary() -> None:
    claim = _only(
        "The Pentagon's press secretary said the US had not seen any meaningful drawdown."
    )
    assert claim.speaker == "John Kirby, Pentagon spokesman"  # was "secretary"
    assert claim.denied_kind is ClaimKind.WITHDRAWAL
