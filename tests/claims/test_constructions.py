"""Sentence constructions of wire copy that earlier extractors misread, one test each.

The sentences were written for these tests (in the style of Feb 2022 reporting); each test
names the wrong reading it guards against.
"""

from __future__ import annotations

from datetime import date

from forcewatch.claims.extract import extract_claims
from forcewatch.claims.model import Change, Claim, ClaimKind, Direction, Force, QuantityQualifier
from forcewatch.claims.reading import find_places

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
    claims = _claims(
        "Britain's defence ministry said it had seen no evidence that Russian forces were "
        "pulling back, and that armoured vehicles continued to move towards the border."
    )
    # "said A, and that B": two statements; A denies a pull-back, B is a move toward
    assert [(c.kind, c.denied_kind, c.direction) for c in claims] == [
        (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL, None),
        (ClaimKind.MOVEMENT, None, Direction.TOWARD),  # was AWAY, from "pulling back"
    ]


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


# --- second batch: agency copy, statements, a transcript (written for these tests) -----------


def test_russias_military_and_natos_chief_are_speakers() -> None:
    claims = _claims(
        "Russia's military said Wednesday that more units were heading back to their garrisons "
        "after drills, but NATO's chief said the alliance had seen no evidence of a drawdown."
    )
    # was one claim in the outlet's voice: neither "Russia's military" nor "NATO's chief" spoke
    assert [(c.speaker, c.kind) for c in claims] == [
        ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL),
        ("Jens Stoltenberg, NATO Secretary General", ClaimKind.DENIAL),
    ]


def test_it_said_after_a_sentence_headed_by_the_ministry() -> None:
    claims = _claims(
        "Russia's military said more units were heading back to their garrisons. The alliance "
        "was not convinced. The Defense Ministry released video of tanks crossing a bridge. It "
        "said the units of the Southern Military District had completed their tactical exercises."
    )
    ends = [c for c in claims if c.kind is ClaimKind.EXERCISE_END]
    assert [c.speaker for c in ends] == ["Russian Ministry of Defence"]  # "It" was NATO


def test_an_organisation_described_after_its_name_speaks() -> None:
    claim = _only(
        "The Conflict Intelligence Team, a Russian group of investigators, said it had "
        "identified at least 30 trains carrying military equipment since the beginning of the "
        "month."
    )
    assert claim.speaker == "Conflict Intelligence Team"  # was the outlet
    assert (claim.quantity, claim.unit) == (30, "trains")
    assert claim.window_start == date(2022, 2, 1)  # "since the beginning of the month"


def test_a_description_before_a_name_and_an_earlier_figure() -> None:
    claim = _only(
        "The U.S. ambassador to the OSCE, Michael Carpenter, said Russia may have amassed up to "
        "190,000 personnel, compared with about 100,000 on January 30."
    )
    assert claim.speaker == "Michael Carpenter, U.S. ambassador to the OSCE"  # was the name only
    assert claim.trend is Change.INCREASE  # "compared with about 100,000": more than before


def test_a_title_is_not_part_of_the_name_and_nobody_will_remain() -> None:
    claim = _only(
        "Belarusian Foreign Minister Vladimir Makei said that not a single Russian soldier or "
        "piece of equipment would remain in Belarus after the joint exercises, which are "
        "scheduled to end on February 20."
    )
    # was "Minister Vladimir Makei, Belarusian Foreign", and an exercise-end
    assert claim.speaker == "Vladimir Makei, Belarusian Foreign Minister"
    assert claim.kind is ClaimKind.WITHDRAWAL and claim.window_start == date(2022, 2, 20)


def test_speaking_on_condition_of_anonymity_and_a_distance_band() -> None:
    claim = _only(
        "Roughly half of those forces are within 50 kilometers of the border, one official "
        "said, speaking on condition of anonymity to discuss intelligence assessments."
    )
    # was no claim: the official's words were taken to be "speaking on condition ..."
    assert claim.speaker == "official (anonymous)"
    assert claim.kind is ClaimKind.COUNT and claim.band_km == (0.0, 50.0)


def test_a_hyphenated_range_is_read_as_up_to_its_upper_end() -> None:
    claim = _only("Western officials estimate that Russia has massed 130,000-150,000 troops.")
    assert claim.quantity == 150000  # was no number
    assert claim.quantity_qualifier is QuantityQualifier.UP_TO


def test_according_to_a_news_agency_relays_the_ministry() -> None:
    claims = _claims(
        "Russia's defence ministry announced the end of the exercises. \"Units of the Southern "
        'Military District are moving to their permanent deployment points," the ministry said '
        "in a statement, according to the Interfax news agency."
    )
    assert {c.speaker for c in claims} == {"Russian Ministry of Defence"}  # was Interfax too


def test_a_two_sentence_quotation_and_an_address_on_tuesday() -> None:
    claim = _only(
        '"We have not yet verified that Russian military units are returning to their home '
        "bases. Indeed, our analysts indicate that they remain very much in a threatening "
        'position," Biden said in a televised address on Tuesday.'
    )
    # was a claim by "open-source analysts", from "our analysts indicate"
    assert claim.speaker == "Joe Biden, US President"
    assert claim.denied_kind is ClaimKind.WITHDRAWAL and claim.stated_on == date(2022, 2, 15)


def test_put_the_number_at_reports_a_figure() -> None:
    claim = _only(
        "Biden put the number of Russian troops massed near Ukraine at more than 150,000, up "
        "from an estimated 100,000 in January."
    )
    assert claim.speaker == "Joe Biden, US President"  # was the outlet
    assert claim.quantity == 150000 and claim.trend is Change.INCREASE


def test_a_place_opening_the_sentence_belongs_to_the_claim() -> None:
    claims = _claims(
        "Maxar said its imagery showed new deployments. Near Soloti, roughly 15 km from the "
        "border, the imagery showed at least 200 tanks and armoured vehicles."
    )
    tanks = next(c for c in claims if c.unit == "tanks")
    assert "Soloti" in tanks.places and tanks.band_km == (13.5, 16.5)  # were lost


def test_units_that_have_now_departed_withdrew() -> None:
    claim = _only(
        "In the Yelnya area, Maxar said, a large number of armoured units that had been located "
        "there in the past have now departed."
    )
    assert claim.kind is ClaimKind.WITHDRAWAL and claim.places == ("Yelnya",)  # was no claim


def test_a_bridge_is_not_merged_into_an_earlier_build_up() -> None:
    claims = _claims(
        "Maxar said its imagery showed a significant increase in military activity in Belarus. "
        "A new pontoon bridge was also constructed across the Pripyat River in Belarus, less "
        "than four miles from the Ukrainian border, Maxar said."
    )
    # was one claim: the same speaker and kind were taken to be a restatement
    assert len(claims) == 2
    assert claims[1].band_km == (0.0, 6.4) and "Pripyat River" in claims[1].places


def test_a_parenthesised_acronym_and_brought_to() -> None:
    claim = _only(
        "Ukraine's military intelligence agency (HUR) said on Feb. 14 that Russia had brought 35 "
        "additional battalion tactical groups to the areas bordering Ukraine."
    )
    assert claim.speaker == "Ukrainian military intelligence"  # was no claim
    assert claim.quantity == 35 and claim.stated_on == date(2022, 2, 14)
    assert claim.kind is ClaimKind.DEPLOYMENT and "border" in claim.places


def test_a_day_after_takes_the_main_clauses_date() -> None:
    claims = _claims(
        "Researchers documented dozens of convoys moving toward the border on February 16, a "
        "day after the Kremlin said some forces were being pulled back."
    )
    kremlin = next(c for c in claims if c.speaker == "Kremlin")
    assert kremlin.stated_on == date(2022, 2, 15)  # was publication, 16 February


def test_a_statement_in_its_own_voice() -> None:
    claims = extract_claims(
        "The enemy grouping numbers up to 149,000 personnel. No withdrawal of Russian troops "
        "from the border has been recorded.",
        PUBLISHED,
        "Ukrainian Ministry of Defence",
    )
    # both were no claim: no verbal trigger, and a negated noun in the outlet's voice
    assert [(c.kind, c.quantity, c.denied_kind) for c in claims] == [
        (ClaimKind.COUNT, 149000, None),
        (ClaimKind.DENIAL, None, ClaimKind.WITHDRAWAL),
    ]


def test_a_claim_called_false() -> None:
    claims = _claims(
        "A senior administration official said Russia had added 7,000 troops. \"Russia's claim "
        'that it is withdrawing was false," the official said.'
    )
    denial = [c for c in claims if c.kind is ClaimKind.DENIAL]
    assert len(denial) == 1 and denial[0].denied_kind is ClaimKind.WITHDRAWAL  # was none
    assert denial[0].speaker == "US officials (anonymous)"


def test_a_transcript_gives_each_turn_its_speaker() -> None:
    claims = _claims(
        "Q: Do you see any withdrawal of Russian troops?\n"
        "STOLTENBERG: So far we have not seen any sign of de-escalation on the ground. We see "
        "that they have increased the number of troops."
    )
    # was the outlet's voice, and "they" was NATO's forces
    assert [(c.speaker, c.kind, c.force) for c in claims] == [
        ("Jens Stoltenberg, NATO Secretary General", ClaimKind.DENIAL, Force.RUSSIA),
        ("Jens Stoltenberg, NATO Secretary General", ClaimKind.BUILD_UP, Force.RUSSIA),
    ]


def test_units_remained_in_their_positions() -> None:
    claims = _claims(
        "Dmytro Kuleba said Kyiv had seen no evidence of the announced pull-back, and that "
        "Russian units near Kharkiv remained in their positions."
    )
    stays = [c for c in claims if c.kind is not ClaimKind.DENIAL]
    assert len(stays) == 1 and stays[0].trend is Change.NONE  # was lost
    assert stays[0].places == ("Kharkiv",)


# --- third batch: agency copy in translation, an assessment, passives, a tabloid ---------------


def test_moving_to_their_garrisons_is_a_withdrawal() -> None:
    claim = _only(
        "Units that have completed their tasks will start moving to their garrisons today, "
        "Russian Defense Ministry spokesman Major General Igor Konashenkov said on Tuesday."
    )
    assert claim.kind is ClaimKind.WITHDRAWAL  # was a movement without direction
    assert claim.direction is Direction.AWAY and claim.stated_on == date(2022, 2, 15)


def test_return_troops_to_base() -> None:
    claim = _only(
        "Kremlin spokesman Dmitry Peskov said Russia had always said it would return troops to "
        "base after exercises."
    )
    assert claim.kind is ClaimKind.WITHDRAWAL and claim.speaker.startswith("Dmitry Peskov")


def test_the_diplomat_is_the_diplomat_named_before() -> None:
    claims = _claims(
        "Kremlin spokesman Dmitry Peskov said Russia would decide where to station its forces on "
        "its own territory. A Western diplomat said Russia had no intention of pulling back. "
        '"Their combat power near the border has increased over the past week," the diplomat '
        "said."
    )
    last = claims[-1]
    assert last.speaker == "Western diplomat (anonymous)"  # was Peskov, the latest person
    assert last.trend is Change.INCREASE


def test_local_residents_and_reported_by() -> None:
    claims = _claims(
        "Columns of armoured vehicles were seen moving toward the border near Belgorod, local "
        "residents told the BBC. It was reported by the Interfax news agency that several "
        "thousand troops had returned to their bases."
    )
    # were "residents" and the outlet
    assert [c.speaker for c in claims] == ["local residents", "Interfax"]
    assert claims[1].kind is ClaimKind.WITHDRAWAL


def test_a_hyphenated_number_word() -> None:
    claim = _only(
        "Twenty-five military trains have arrived in the Kursk region since Monday, according to "
        "a regional official who asked not to be named."
    )
    assert (claim.quantity, claim.unit) == (25, "trains")  # was no number
    assert claim.window_start == date(2022, 2, 14)


def test_troops_that_remain_and_a_date_of_a_subordinate_clause() -> None:
    claim = _only(
        "Tens of thousands of troops remain in Belarus, where joint drills were extended on Sunday."
    )
    assert claim.kind is ClaimKind.COUNT and claim.trend is Change.NONE  # was no claim
    assert claim.window_end == PUBLISHED  # "extended on Sunday" is no end: "end" is no word there


def test_a_possessive_description_before_a_name() -> None:
    claim = _only(
        "Poland's defence minister, Mariusz Blaszczak, said the United States would send 4,700 "
        "more troops to Poland."
    )
    assert claim.speaker == "Mariusz Blaszczak, Poland's defence minister"  # was the name only
    assert claim.force is Force.US


def test_a_promise_quoted_in_passing_and_talk_called_nonsense() -> None:
    claims = _claims(
        "Satellite images show hundreds of tanks massing near Ukraine, despite Vladimir Putin's "
        "promise to pull back. Experts said the build-up showed the Kremlin's talk of a "
        'withdrawal was "nonsense".'
    )
    kinds = [(c.speaker.split(",")[0], c.kind, c.denied_kind) for c in claims]
    assert ("Vladimir Putin", ClaimKind.WITHDRAWAL, None) in kinds  # was the images' claim
    assert ("Satellite imagery (unattributed)", ClaimKind.BUILD_UP, None) in kinds
    assert ("Experts (anonymous)", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL) in kinds  # was none


def test_nothing_has_left_more_kit_has_arrived() -> None:
    claim = _only(
        'A senior defence source told The Sun: "Nothing has left. If anything, more kit has '
        'arrived."'
    )
    assert claim.kind is ClaimKind.ARRIVAL and claim.trend is Change.INCREASE  # was no claim


def test_between_two_days_of_one_month() -> None:
    claim = _only(
        "ISW said Russian forces deployed at least seven additional battalion tactical groups to "
        "Belgorod Oblast between February 14 and 17."
    )
    assert (claim.window_start, claim.window_end) == (date(2022, 2, 14), date(2022, 2, 17))
    assert claim.quantity == 7


# --- fourth batch: a briefing transcript, a readout, a thread, a statement --------------------


def test_a_question_relays_a_claim_by_the_russians() -> None:
    claims = _claims(
        "MR. KIRBY: We have not seen any evidence of a pullback.\n"
        "Q: John, the Russians say they're moving troops back to their garrisons. Is that "
        "accurate?"
    )
    assert [(c.speaker, c.kind) for c in claims] == [
        ("John Kirby, Pentagon spokesman", ClaimKind.DENIAL),
        ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL),  # was "Russians", a generic name
    ]


def test_end_as_planned_and_then_return_home() -> None:
    claims = extract_claims(
        "Belarus's defence ministry said the joint exercises would end as planned on Sunday and "
        "that Russian units would then return home.",
        date(2022, 2, 18),
        "Example Wire",
    )
    assert [c.kind for c in claims] == [ClaimKind.EXERCISE_END, ClaimKind.WITHDRAWAL]
    assert claims[0].window_end == date(2022, 2, 20)  # was a week: "end as planned on" no cue


def test_troops_could_stay_as_long_as_necessary() -> None:
    claim = _only(
        'Belarusian leader Alexander Lukashenko said Russian troops could stay "as long as '
        'necessary".'
    )
    assert claim.kind is ClaimKind.COUNT and claim.trend is Change.NONE  # was no claim


def test_residents_saw_columns_passing_through() -> None:
    claim = _only(
        "Residents said military columns had been passing through the area every night for two "
        "weeks."
    )
    assert claim.kind is ClaimKind.MOVEMENT and claim.speaker == "Residents"  # was no claim


def test_a_readout_informed_and_the_president_of_russia() -> None:
    claims = _claims(
        "Vladimir Putin informed Emmanuel Macron that the Russian troops in Belarus would return "
        "to their permanent bases once the exercise was completed. The President of Russia "
        "stressed that the exercises were purely defensive in nature."
    )
    # were the outlet's voice and the Russian government
    assert [(c.speaker, c.kind) for c in claims] == [
        ("Vladimir Putin, President of Russia", ClaimKind.WITHDRAWAL),
        ("Vladimir Putin, President of Russia", ClaimKind.DENIAL),
    ]


def test_a_thread_of_observations() -> None:
    claims = _claims(
        "1/ New satellite imagery from February 14 shows a significant Russian deployment at "
        "the Pogonovo training area south of Voronezh. At least 300 vehicles are visible.\n"
        "2/ Compared with imagery from February 10, the number of vehicles has roughly doubled."
    )
    # all three were no claim
    assert [(c.kind, c.quantity, c.trend) for c in claims] == [
        (ClaimKind.DEPLOYMENT, None, None),
        (ClaimKind.COUNT, 300, None),
        (ClaimKind.BUILD_UP, None, Change.INCREASE),
    ]
    assert "Pogonovo" in claims[0].places


def test_grown_to_and_the_russian_government() -> None:
    claims = _claims(
        "The Russian government has insisted that some of the forces had begun returning to "
        "their bases. He said the number of Russian troops near the border had grown to more "
        "than 150,000."
    )
    assert claims[0].speaker == "Russian Ministry of Defence"  # was "Russian government"
    assert claims[1].trend is Change.INCREASE  # "grown to" was no trend


# --- fifth batch: web copy with captions and related links ------------------------------------


def test_them_moving_closer_to_the_border_is_about_forces() -> None:
    claim = _only(
        '"We continue to see them move closer to the border," a senior US defense official told '
        "CNN."
    )
    # was no claim: no military noun, only "them"
    assert claim.kind is ClaimKind.MOVEMENT and claim.direction is Direction.TOWARD
    assert claim.speaker == "US officials (anonymous)"


def test_claims_that_in_an_accusation_are_not_the_outlets() -> None:
    claims = _claims(
        "Britain and the US accused Russia on Thursday of misleading the world with claims that "
        "it was pulling troops back from Ukraine's borders."
    )
    assert not any(c.speaker == "Example Wire" for c in claims)  # was the outlet's withdrawal


def test_one_said_is_one_of_the_officials_and_they_in_a_quotation_are_others() -> None:
    claims = _claims(
        'Western officials said some units had moved away from the border. One said: "They are '
        'moving units around, but the total is going up, not down."'
    )
    last = claims[-1]
    assert last.speaker == "NATO officials (anonymous)"  # was the outlet
    assert last.force is Force.RUSSIA  # "they" in the officials' quotation are not NATO's


def test_forces_in_attack_positions_and_the_official_who_spoke() -> None:
    claims = extract_claims(
        "Roughly 40 to 50 percent of the Russian ground forces arrayed around Ukraine are now in "
        "attack positions closer to the border, a U.S. defense official said on Sunday. The "
        "official, who spoke on condition of anonymity to discuss intelligence, said there were "
        "now 125 battalion tactical groups in the region, up from 83 at the beginning of "
        "February.",
        date(2022, 2, 20),
        "Example Wire",
    )
    # both were no claim
    assert [(c.kind, c.direction, c.quantity, c.trend) for c in claims] == [
        (ClaimKind.DEPLOYMENT, Direction.TOWARD, None, None),
        (ClaimKind.COUNT, None, 125, Change.INCREASE),
    ]
    assert {c.speaker for c in claims} == {"US officials (anonymous)"}


# --- sixth batch ------------------------------------------------------------------------------


def test_quoted_the_ministry_as_saying() -> None:
    claims = _claims(
        "Russia's defence ministry said some units had started to return to their bases. "
        "Russia's TASS news agency quoted the ministry as saying that 10 trains carrying "
        "equipment had left the Kursk region."
    )
    trains = next(c for c in claims if c.unit == "trains")
    assert trains.speaker == "Russian Ministry of Defence"  # was the outlet
    assert trains.kind is ClaimKind.WITHDRAWAL and trains.places == ("Kursk",)


def test_moving_troops_around_its_own_territory_is_a_reassurance() -> None:
    claim = _only(
        "The Kremlin said Russia would continue to move troops around its own territory as it "
        "saw fit."
    )
    assert claim.kind is ClaimKind.DENIAL  # was a movement


def test_a_column_was_spotted() -> None:
    claim = _only(
        "A column of more than 100 vehicles was spotted near Belgorod, around 35 kilometres from "
        "the border, on Sunday night."
    )
    assert claim.kind is ClaimKind.COUNT and claim.quantity == 100  # was no claim
    assert claim.band_km == (31.5, 38.5)


def test_officials_in_washington_and_western_estimates() -> None:
    claims = _claims(
        "Officials in Washington said satellite imagery showed that Russia had moved additional "
        "forces into Belarus in the past 48 hours. According to Western estimates, Russia has "
        "deployed about 60 percent of its total land forces near Ukraine."
    )
    # were the US government and the outlet
    assert [c.speaker for c in claims] == ["US officials (anonymous)", "Western governments"]


def test_forces_would_stay_beyond_the_end_of_the_drills() -> None:
    claim = _only(
        "President Lukashenko said on Saturday that Russian forces would stay beyond the end of "
        "the drills if necessary."
    )
    assert claim.kind is ClaimKind.COUNT and claim.trend is Change.NONE  # was an exercise end


def test_other_news_gives_no_claims() -> None:
    claims = _claims(
        "Market forces pushed the price of Brent crude above $95 a barrel, traders said. The "
        "number of Covid-19 cases in Moscow increased by 20 percent over the past week, health "
        "officials said. The Russian national football team arrived in Kazan on Monday for a "
        "training camp, the federation said. US diplomats and embassy staff were withdrawn from "
        "Kyiv. Ukrainian refugees arrived in Poland."
    )
    assert claims == []  # the football team was an arrival


# --- seventh batch: numbers and dates in newsroom shorthand -----------------------------------


def test_a_plus_number_and_pentagon_estimates() -> None:
    claim = _only(
        "Russia now has 100,000-plus troops near Ukraine's border, according to Pentagon estimates."
    )
    assert claim.speaker == "US Department of Defense"  # was no claim: "-plus" hid the number
    assert claim.quantity == 100000 and claim.quantity_qualifier is QuantityQualifier.MORE_THAN


def test_told_parliament_on_the_14th() -> None:
    claim = _only(
        "Some 150K Russian troops are now deployed around Ukraine, Ukraine's defence minister "
        "told parliament on the 14th."
    )
    assert claim.speaker.startswith("Oleksii Reznikov")  # was the outlet: "on the 14th" read
    assert claim.stated_on == date(2022, 2, 14) and claim.quantity == 150000  # as his words


def test_a_dated_announcement_quoted_in_passing() -> None:
    claims = _claims(
        "The Kremlin's Monday announcement that units were heading home was met with scepticism "
        "in Washington."
    )
    assert [(c.speaker, c.kind) for c in claims] == [("Kremlin", ClaimKind.WITHDRAWAL)]


def test_opposition_channels_reported() -> None:
    claim = _only(
        "Overnight, columns of tanks crossed into Belarus from Russia, Belarusian opposition "
        "channels reported."
    )
    assert claim.speaker == "Belarusian opposition channels"  # was the outlet
    assert claim.kind is ClaimKind.ARRIVAL


def test_according_to_footage_geolocated_by_an_analyst() -> None:
    claim = _only(
        "Russian forces deployed at least seven additional battalion tactical groups to Belgorod "
        "Oblast, according to social media footage geolocated by ISW."
    )
    assert claim.speaker == "Institute for the Study of War"  # was the outlet


def test_a_run_on_page_is_cut_into_bounded_pieces() -> None:
    from forcewatch.claims.text import MAX_SENTENCE_CHARS, split_sentences

    run_on = ", ".join(["Russian troops moved toward the border near Belgorod"] * 400) + "."
    pieces = split_sentences(run_on)
    assert len(pieces) > 1 and max(map(len, pieces)) <= MAX_SENTENCE_CHARS
    assert "".join(p.replace(" ", "") for p in pieces) == run_on.replace(" ", "")  # nothing lost


# --- eighth batch: 21-24 February -------------------------------------------------------------


def test_an_invasion_under_way_and_the_service_said() -> None:
    claims = extract_claims(
        "Russian forces launched a full-scale invasion of Ukraine before dawn on Thursday, with "
        "troops crossing the border from Russia, Belarus and Crimea, Ukraine's border guard "
        "service said. Columns of Russian armour entered the Kharkiv and Chernihiv regions, the "
        "service said.",
        date(2022, 2, 24),
        "Example Wire",
    )
    # both were no claim
    assert [(c.kind, c.direction) for c in claims] == [
        (ClaimKind.MOVEMENT, Direction.TOWARD),
        (ClaimKind.ARRIVAL, None),
    ]
    assert {c.speaker for c in claims} == {"Ukraine's border guard service"}
    assert claims[1].places == ("Kharkiv", "Chernihiv")


def test_a_predicted_offensive_is_no_movement() -> None:
    claim = _only(
        "US intelligence officials believe Russia could begin a military offensive against "
        "Ukraine as early as next year involving as many as 175,000 troops."
    )
    assert claim.kind is not ClaimKind.MOVEMENT and claim.quantity == 175000


def test_troops_ordered_in_and_staying_beyond_the_scheduled_end() -> None:
    claims = _claims(
        "President Vladimir Putin on Monday ordered Russian troops into two breakaway regions of "
        "eastern Ukraine. Belarus's defence minister said on Sunday that Russian troops would "
        "stay in Belarus beyond the scheduled end of joint drills."
    )
    assert claims[0].kind is ClaimKind.DEPLOYMENT  # was no claim
    assert claims[1].kind is ClaimKind.COUNT and claims[1].trend is Change.NONE  # was an end


def test_the_former_general_is_the_general_named_before() -> None:
    claims = _claims(
        "Retired US General Ben Hodges said Russia had moved field hospitals close to the border. "
        "Russia's defence ministry said units were returning to their bases. The former general "
        "said more troops had arrived in the past week."
    )
    last = claims[-1]
    assert last.kind is ClaimKind.ARRIVAL
    assert last.speaker == "Ben Hodges, Retired US General"  # was no speaker: "the former general"


def test_list_items_that_are_sentences_are_read_and_link_titles_are_not() -> None:
    claims = _claims(
        "Key points:\n"
        "- Russia has moved some 30,000 troops to Belarus for joint drills, US officials said.\n"
        "- Biden warns of attack\n"
        "* Related: Russia massing troops near the border, officials say.\n"
        "1. Maxar images showed a new field hospital near the border in Belarus on Sunday.\n"
    )
    # the first and last were dropped as list items; the short related link stays dropped
    assert [(c.speaker, c.kind) for c in claims] == [
        ("US officials (anonymous)", ClaimKind.DEPLOYMENT),
        ("Maxar Technologies", ClaimKind.BUILD_UP),
    ]


def test_each_sentence_of_a_quotation_is_read() -> None:
    claims = _claims(
        '"So far, we have not seen any withdrawal of Russian forces. On the contrary, it appears '
        'that Russia continues the military build-up," NATO Secretary-General Jens Stoltenberg '
        "said."
    )
    # was one claim: the build-up hid the denial in the sentence before it
    assert [(c.kind, c.denied_kind) for c in claims] == [
        (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
        (ClaimKind.BUILD_UP, None),
    ]


def test_an_embedded_post_is_its_authors() -> None:
    claims = _claims(
        "NATO chief weighs in\n\n"
        "We have not seen any withdrawal of Russian forces pic.twitter.com/abc123\n"
        "\u2014 Jens Stoltenberg (@jensstoltenberg) February 16, 2022\n\n"
        "New satellite imagery shows 40 helicopters at a previously empty airfield in Belarus "
        "https://t.co/xyz\n"
        "\u2014 Jane Analyst (@jane_osint) February 15, 2022\n"
    )
    # both were dropped: lines without a full stop, their authors on the next line
    assert [(c.speaker, c.kind, c.stated_on) for c in claims] == [
        ("Jens Stoltenberg, NATO Secretary General", ClaimKind.DENIAL, date(2022, 2, 16)),
        ("Jane Analyst", ClaimKind.COUNT, date(2022, 2, 15)),
    ]
    assert claims[1].quantity == 40 and "t.co" not in claims[1].quote


def test_he_is_the_person_named_from_the_articles_words() -> None:
    claims = _claims(
        "President Biden said Russia could attack at any moment. CIA Director William Burns said "
        "Russia had moved more troops toward the border. He added that 20 more battalion tactical "
        "groups had arrived in the past week."
    )
    last = claims[-1]
    assert last.kind is ClaimKind.ARRIVAL and last.quantity == 20
    assert last.speaker == "William Burns, CIA Director"  # was Biden, the last known person


# --- ninth batch: Moscow's denials ------------------------------------------------------------


def test_called_the_claims_propaganda_and_never_planned_to_attack() -> None:
    claims = _claims(
        "Russian Foreign Ministry spokeswoman Maria Zakharova called the US claims of an imminent "
        'invasion "propaganda". Lavrov said Moscow had never planned to attack anyone.'
    )
    # both were no claim
    assert [(c.speaker.split(",")[0], c.kind) for c in claims] == [
        ("Maria Zakharova", ClaimKind.DENIAL),
        ("Sergei Lavrov", ClaimKind.DENIAL),
    ]


def test_rejected_claims_that_names_what_is_denied() -> None:
    claim = _only(
        "The Kremlin rejected claims that it was massing troops on the border, saying the "
        "movements were routine."
    )
    assert claim.kind is ClaimKind.DENIAL
    assert claim.denied_kind is ClaimKind.BUILD_UP  # was None: the claim was masked first


def test_she_and_he_after_a_woman_and_a_man_of_the_speaker_table() -> None:
    claims = _claims(
        "Foreign Secretary Liz Truss met Sergei Lavrov in Moscow on Thursday. Lavrov said Russia "
        "would not take lessons from the West. She said there was no evidence of a withdrawal."
    )
    # was Lavrov, the latest person
    assert [(c.speaker, c.kind) for c in claims] == [
        ("Liz Truss, UK Foreign Secretary", ClaimKind.DENIAL)
    ]


def test_a_past_month_is_the_window_and_officials_now_say() -> None:
    claims = extract_claims(
        "In April 2021, Russia massed around 100,000 troops near Ukraine's border before "
        "announcing a pullback. Western officials now say Russia has more than 130,000 troops "
        "near the border.",
        date(2022, 2, 14),
        "Example Wire",
    )
    # the April 2021 build-up was given a window in February 2022
    assert (claims[0].window_start, claims[0].window_end) == (date(2021, 4, 1), date(2021, 4, 30))
    # "now say" was no attribution
    assert claims[1].speaker == "NATO officials (anonymous)" and claims[1].quantity == 130000


# --- tenth batch: tabloid and state-media copy ------------------------------------------------


def test_despite_claiming_it_was_pulling_back_and_sources_close_to() -> None:
    claims = _claims(
        "Russia has reportedly sent another 7,000 troops to the Ukrainian border, despite "
        "claiming it was pulling back. Sources close to the Ukrainian military said the troops "
        "had arrived near Bryansk overnight."
    )
    by_kind = {c.kind: c for c in claims}
    # Russia's own claim was lost: "it was pulling back" names no military noun
    assert by_kind[ClaimKind.WITHDRAWAL].speaker == "Russian Ministry of Defence"
    arrival = by_kind[ClaimKind.ARRIVAL]
    # were the outlet, and Ukraine's forces (from the source's description)
    assert arrival.speaker == "Sources close to the Ukrainian military (anonymous)"
    assert arrival.force is Force.RUSSIA


def test_footage_released_by_the_ministry_shows_what_it_says() -> None:
    claim = _only(
        "The Russian Defense Ministry released footage showing tanks returning to their bases "
        "in Dagestan."
    )
    assert claim.speaker == "Russian Ministry of Defence"  # was the outlet
    assert claim.kind is ClaimKind.WITHDRAWAL


def test_an_official_who_spoke_without_commas_and_drills_extended() -> None:
    claims = _claims(
        "A US official who spoke on condition of anonymity said at least 14 battalion tactical "
        "groups had moved closer to the border since Monday. The Belarusian defence ministry said "
        "in a statement on Telegram that the Allied Resolve drills had been extended."
    )
    # were the outlet's movement, and no claim
    assert [(c.speaker, c.kind, c.denied_kind) for c in claims] == [
        ("US officials (anonymous)", ClaimKind.MOVEMENT, None),
        ("Belarusian Ministry of Defence", ClaimKind.DENIAL, ClaimKind.EXERCISE_END),
    ]


def test_russia_has_added_troops_is_no_attribution_by_russia() -> None:
    claims = _claims(
        "The US has seen no evidence that Russia is pulling back its forces, a senior US official "
        'told CNN. In fact, the official said, Russia has added "several thousand" troops in the '
        "last 24 hours."
    )
    # "has added" was read as Russia speaking ("he added") and the official's words were lost
    assert [(c.speaker, c.kind) for c in claims] == [
        ("US officials (anonymous)", ClaimKind.DENIAL),
        ("US officials (anonymous)", ClaimKind.BUILD_UP),
    ]
    assert claims[1].trend is Change.INCREASE and claims[1].window_start == date(2022, 2, 15)


def test_the_general_staff_and_a_force_estimated_at_a_figure() -> None:
    claims = extract_claims(
        "The General Staff of the Armed Forces of Ukraine said on Saturday that Russia had "
        "concentrated about 41 battalion tactical groups in Belarus. Kyiv's defence intelligence "
        "chief, Kyrylo Budanov, estimated the total Russian force at 127,000, including 106,000 "
        "land troops.",
        date(2022, 2, 20),
        "Example Wire",
    )
    # were the outlet, and 106,000 (the figure "at 127,000" had no unit after it)
    assert [(c.speaker.split(",")[0], c.quantity) for c in claims] == [
        ("Ukrainian General Staff", 41),
        ("Kyrylo Budanov", 127000),
    ]
    assert claims[0].stated_on == date(2022, 2, 19)


def test_an_extension_announced_citing_activity_and_an_end_after_a_long_clause() -> None:
    claims = extract_claims(
        "The exercises, which involve an estimated 30,000 Russian troops, are due to end on Feb. "
        "20. On Sunday, the Belarusian defence ministry announced an extension of the joint "
        "drills, citing increased military activity near the borders.",
        date(2022, 2, 20),
        "Example Wire",
    )
    # the end was no claim (its clause was too long), the extension was a build-up ("citing
    # increased military activity" is the ministry's reason, not the outlet's claim)
    assert [(c.kind, c.denied_kind, c.speaker) for c in claims] == [
        (ClaimKind.EXERCISE_END, None, "Example Wire"),
        (ClaimKind.DENIAL, ClaimKind.EXERCISE_END, "Belarusian Ministry of Defence"),
    ]
    assert claims[0].window_end == date(2022, 2, 20)


def test_work_by_researchers_a_report_and_an_analysis_are_their_authors() -> None:
    claims = _claims(
        "Satellite imagery analysed by researchers at the Middlebury Institute shows at least 500 "
        "vehicles at a new camp near Yelsk in Belarus. A report by the Royal United Services "
        "Institute found that Russia had deployed forces near Ukraine. CSIS analysis of "
        "commercial imagery found that Russia had moved Iskander launchers to within 30 miles of "
        "the border."
    )
    # were no claim, the outlet, and "commercial imagery"
    assert [c.speaker for c in claims] == [
        "Researchers at the Middlebury Institute",
        "Royal United Services Institute",
        "CSIS",
    ]
    assert claims[0].quantity == 500 and claims[2].band_km == (0.0, 48.3)


def test_a_camp_that_appeared_is_a_build_up() -> None:
    claim = _only(
        "Ukraine's border guard service said a camp had appeared near Yelsk in the past ten days."
    )
    assert claim.kind is ClaimKind.BUILD_UP and claim.places == ("Yelsk",)  # was no claim


def test_unloaded_tanks_blood_supplies_and_bombers_moved_to_an_airfield_in_belarus() -> None:
    claims = _claims(
        "Bellingcat said it had geolocated videos showing Russian tanks being unloaded at a "
        "railway station in Valuyki. The Washington Post reported that US intelligence had "
        "identified new blood supplies near the border. According to the Post, Russia had also "
        "moved 20 Su-34 bombers to an airfield in Belarus."
    )
    # were a count, no claim, and a movement of no unit
    assert [(c.kind, c.quantity, c.unit) for c in claims] == [
        (ClaimKind.ARRIVAL, None, None),
        (ClaimKind.BUILD_UP, None, None),
        (ClaimKind.DEPLOYMENT, 20, "aircraft"),
    ]
    assert claims[2].places == ("Belarus",)


def test_no_sign_of_that_denies_the_claim_before_it_and_troops_in_belarus() -> None:
    claims = _claims(
        "Moscow says it has begun withdrawing some troops, but US officials say they have seen no "
        "sign of that."
    )
    # the officials' words named no kind and gave no claim
    assert [(c.speaker, c.kind, c.denied_kind) for c in claims] == [
        ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL, None),
        ("US officials (anonymous)", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
    ]
    doubled = _only(
        "A Pentagon official said the number of Russian troops in Belarus had more than doubled "
        "in a week."
    )
    assert doubled.places == ("Belarus",)  # "Belarus had" was taken for a speaker


def test_us_estimates_and_images_taken_and_released() -> None:
    claims = _claims(
        "Russia has deployed an estimated 150,000 troops near Ukraine, according to US "
        "estimates. Satellite images taken on Monday and released on Tuesday show dozens of new "
        "helicopters at an airfield in Belarus."
    )
    # were the outlet, and no claim ("and" broke the images' attribution)
    assert [c.speaker for c in claims] == ["US government", "Satellite imagery (unattributed)"]
    assert claims[1].stated_on == date(2022, 2, 14) and claims[1].unit == "helicopters"


# --- seventh session: bulletins, investigations, UN records, transcripts -----------------------


def test_a_bulletin_in_its_own_first_person_voice_denies() -> None:
    claims = extract_claims(
        "Despite claims by the Kremlin, we have not seen evidence of Russian forces withdrawing "
        "from Ukraine's borders. We found no footage of units moving away from the border.",
        PUBLISHED,
        "UK Defence Intelligence",
    )
    # were no claim: the outlet's own voice needed an event, and "we" reported none
    assert [(c.speaker, c.kind, c.denied_kind) for c in claims] == [
        ("UK Defence Intelligence", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
    ]  # the second sentence restates the first (moving away = withdrawing) and is merged


def test_a_claim_quoted_in_passing_and_refuted() -> None:
    claims = extract_claims(
        "Our analysis does not support Moscow's claim of a pullback.", PUBLISHED, "Bellingcat"
    )
    # was only Moscow's pull-back: the refutation was nobody's claim
    assert [(c.speaker, c.kind, c.denied_kind) for c in claims] == [
        ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL, None),
        ("Bellingcat", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
    ]
    unowned = _only(
        'The UK Ministry of Defence said reports of a return to barracks were "not borne out '
        'by the intelligence picture".'
    )
    assert (unowned.speaker, unowned.kind, unowned.denied_kind) == (
        "UK Ministry of Defence",
        ClaimKind.DENIAL,
        ClaimKind.WITHDRAWAL,
    )  # was no claim


def test_a_described_colonel_and_his_continued_quotation() -> None:
    claims = _claims(
        '"Russia has completed its preparations," Colonel Margo Grosberg, head of the Estonian '
        'Defence Forces intelligence centre, told reporters. "The number of battalion tactical '
        'groups near the border has grown to 87, compared with about 60 in December." He said '
        "no units had gone back to their permanent bases."
    )
    # were the outlet's build-up of 60 groups and no denial ("head of" is no role word)
    name = "Margo Grosberg, head of the Estonian Defence Forces intelligence centre"
    assert [(c.speaker, c.kind, c.quantity, c.denied_kind) for c in claims] == [
        (name, ClaimKind.BUILD_UP, 87, None),
        (name, ClaimKind.DENIAL, None, ClaimKind.WITHDRAWAL),
    ]
    assert claims[0].trend is Change.INCREASE


def test_an_organisation_named_service_is_not_a_title_and_a_name() -> None:
    claim = _only(
        "The Estonian Foreign Intelligence Service said on Wednesday that Russia had "
        "concentrated about 150,000 troops on Ukraine's borders."
    )
    assert claim.speaker == "Estonian Foreign Intelligence Service"  # was "Foreign ..., Estonian"


def test_a_un_meeting_record_names_delegates_by_country() -> None:
    claims = _claims(
        "Mr. NEBENZIA (Russian Federation) said that the units were returning to their "
        "garrisons. Mr. KYSLYTSYA (Ukraine) said that more than 140,000 Russian troops "
        "remained massed along Ukraine's borders."
    )
    # were the outlet's
    assert [(c.speaker, c.kind) for c in claims] == [
        ("Vasily Nebenzya, Russian UN Ambassador", ClaimKind.WITHDRAWAL),
        ("Kyslytsya, representative of Ukraine", ClaimKind.BUILD_UP),
    ]


def test_a_transcript_with_names_in_mixed_case_and_the_president_of_its_title() -> None:
    lavrov = _claims(
        "Question: Will the troops in Belarus leave after the exercises?\n\n"
        "Sergey Lavrov: All Russian units will return to their permanent bases once the "
        "exercise is over.\n\nQuestion: When?\n\nSergey Lavrov: When it is over."
    )
    assert [(c.speaker, c.kind) for c in lavrov] == [
        ("Sergei Lavrov, Russian Foreign Minister", ClaimKind.WITHDRAWAL)
    ]  # was nothing: only labels in capitals were turns
    biden = _claims(
        "Remarks by President Biden on Russia and Ukraine\n\n"
        "THE PRESIDENT: Good afternoon. Right now, Russia has more than 150,000 troops "
        "encircling Ukraine."
    )
    assert [c.speaker for c in biden] == ["Joe Biden, US President"]  # was "President"
    heading = _claims("Donetsk Region: Russian troops have arrived near the line of contact.")
    assert [c.speaker for c in heading] == ["Example Wire"]  # a heading, not a speaker


def test_officials_before_a_date_and_an_apposition_on_the_figure() -> None:
    claim = _only(
        "Russia has massed as many as 130,000 troops near Ukraine's borders, U.S. and Ukrainian "
        "officials said Thursday, a number that has risen by roughly 30,000 since late December."
    )
    # was the outlet's, its quote cut at "U.S. and"
    assert claim.speaker == "US officials (anonymous)"
    assert claim.quantity == 130000 and claim.stated_on == date(2022, 2, 10)


def test_alliance_ministers_still_adding_troops_is_an_increase() -> None:
    claims = _claims(
        "Nato defence ministers said Russia was still adding troops near Ukraine. About 30,000 "
        "Russian troops are in Belarus for joint drills, according to Nato."
    )
    # were the outlet's build-up with trend "none" ("still"), and no count ("Nato" in title case)
    assert [(c.speaker, c.kind, c.trend, c.quantity) for c in claims] == [
        ("NATO", ClaimKind.BUILD_UP, Change.INCREASE, None),
        ("NATO", ClaimKind.COUNT, None, 30000),
    ]


def test_a_date_opening_the_sentence_without_a_comma_dates_the_statement() -> None:
    claim = _only(
        "On Monday the Russian defence ministry said some units were returning to base after "
        "completing exercises."
    )
    assert claim.stated_on == date(2022, 2, 14)  # was publication day


def test_they_after_the_drills_is_the_drills() -> None:
    claims = _claims(
        "The exercises were due to end on Sunday, but Minsk said on Monday they would continue."
    )
    # was the outlet's exercise end only: Minsk's "they would continue" named no exercise
    minsk = [c for c in claims if c.speaker == "Belarusian government"]
    assert [(c.kind, c.denied_kind, c.stated_on) for c in minsk] == [
        (ClaimKind.DENIAL, ClaimKind.EXERCISE_END, date(2022, 2, 14))
    ]


def test_continuing_its_build_up_is_a_build_up() -> None:
    claims = _claims(
        "Russia said on Wednesday it was pulling more troops back from near Ukraine, but NATO "
        "said Moscow appeared to be continuing its military build-up."
    )
    # NATO's words gave nothing: a nominal build-up needed a number, a place or a force
    assert [(c.speaker, c.kind) for c in claims] == [
        ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL),
        ("NATO", ClaimKind.BUILD_UP),
    ]


def test_the_reported_withdrawal_is_not_the_speakers_own_claim() -> None:
    claims = _claims(
        "German Chancellor Olaf Scholz said on Wednesday that the reported withdrawal of some "
        "Russian troops was a good sign, but that it still had to be verified."
    )
    assert claims == []  # was Scholz claiming a withdrawal


def test_a_claim_contradicted_by_what_we_see() -> None:
    claim = _only("The claim of a pullback is contradicted by everything we can see.")
    assert (claim.speaker, claim.kind, claim.denied_kind) == (
        "Example Wire",
        ClaimKind.DENIAL,
        ClaimKind.WITHDRAWAL,
    )  # was no claim


def test_two_counts_in_one_sentence_and_numbers_with_spaces_and_k() -> None:
    claims = _claims(
        "Tens of thousands of Russian troops remain near the border, Ukraine's border guard "
        "service said. The service counted 7 000 additional soldiers in the Bryansk region over "
        "the weekend, and said nearly 100k troops were now within 50 km of the frontier."
    )
    # were one count: both statements had the sentence's id and the second was dropped;
    # "7 000" was 0 or 7, and "counted" attributed nothing
    counted = [(c.quantity, c.places, c.band_km) for c in claims if c.quantity]
    assert counted == [(7000, ("Bryansk",), None), (100000, ("border",), (0.0, 50.0))]
    assert {c.speaker for c in claims} == {"Ukraine's border guard service"}


def test_a_foreign_army_speaks_and_its_it_is_not_russia() -> None:
    claim = _only(
        "The Lithuanian army said it had observed an increase in Russian military activity "
        "close to its border."
    )
    assert claim.speaker == "Lithuanian army"  # was "Russian government", through "it"
    assert claim.kind is ClaimKind.BUILD_UP


def test_footage_the_ministry_said_showed_units_leaving_a_peninsula() -> None:
    claims = _claims(
        "NATO said Moscow was continuing its build-up. The defence ministry released footage "
        "it said showed tanks and self-propelled artillery units leaving the Crimean peninsula."
    )
    # "it" was NATO, the latest body named; "leaving the Crimean peninsula" was no trigger
    assert [(c.speaker, c.kind, c.places) for c in claims][-1] == (
        "Russian Ministry of Defence",
        ClaimKind.WITHDRAWAL,
        ("Crimea",),
    )


def test_still_seeing_forces_moving_toward_the_border_expects_an_increase() -> None:
    claim = _only("Washington said it was still seeing Russian forces moving toward the border.")
    # "still" gave the trend "none", which overrode the movement's increase
    assert (claim.kind, claim.direction, claim.trend) == (
        ClaimKind.MOVEMENT,
        Direction.TOWARD,
        None,
    )
    assert claim.expected_change() is Change.INCREASE


def test_a_schedule_gives_the_end_and_the_return_after_it() -> None:
    claims = _claims(
        "The Union Resolve 2022 exercises will be held from 10 to 20 February at five training "
        "grounds, Belarus's defence ministry said on Wednesday. After they end, all Russian "
        "troops will return home, it added."
    )
    # the schedule gave no claim, and the return was dated from the day it was said
    assert [(c.kind, c.window_end) for c in claims] == [
        (ClaimKind.EXERCISE_END, date(2022, 2, 20)),
        (ClaimKind.WITHDRAWAL, date(2022, 2, 28)),
    ]
    assert claims[1].window_start == date(2022, 2, 20)


def test_the_base_is_the_place_named_before_and_an_analyst_of_a_firm() -> None:
    claims = _claims(
        "Russian forces near Yelnya have grown sharply in the last month, according to new "
        "satellite images. Imagery from January 19 shows more than 500 armoured vehicles at the "
        "base, compared with roughly 300 in early December."
    )
    assert [(c.quantity, c.sites) for c in claims] == [(None, ("Yelnya",)), (500, ("Yelnya",))]
    klimovo = _claims(
        "Konrad Muzyka of Rochan said the deployment of helicopters so close to the border was "
        '"a worrying sign". He added that the units at Klimovo had not moved since their '
        "arrival."
    )
    # the first was Rochan's, the second a denial of their arrival
    assert [(c.speaker, c.kind, c.trend) for c in klimovo] == [
        ("Konrad Muzyka, Rochan Consulting", ClaimKind.DEPLOYMENT, None),
        ("Konrad Muzyka, Rochan Consulting", ClaimKind.COUNT, Change.NONE),
    ]


def test_leaving_assembly_areas_for_combat_positions_is_no_withdrawal() -> None:
    claim = _only(
        "Defense Secretary Lloyd Austin said Sunday that some Russian units had left their "
        "assembly areas and moved into combat positions."
    )
    assert claim.kind is not ClaimKind.WITHDRAWAL  # was a withdrawal ("had left")
    assert claim.expected_change() is not Change.DECREASE


def test_may_move_troops_on_its_own_territory_is_a_reassurance_and_joint_estimates() -> None:
    claims = _claims(
        "Russia has an estimated 100,000 troops near Ukraine's borders, according to US and "
        "Ukrainian estimates. Moscow denies planning an invasion and says it can move troops on "
        "its own territory as it pleases."
    )
    # the first was nobody's (the outlet's at best); the second also gave a movement
    assert [(c.speaker, c.kind) for c in claims] == [
        ("US government", ClaimKind.COUNT),
        ("Russian government", ClaimKind.DENIAL),
    ]


def test_a_retrospective_month_dates_the_claim_then() -> None:
    claims = extract_claims(
        "By November, officials in Washington estimated that Russia had moved about 90,000 "
        "troops toward the Ukrainian border.",
        date(2022, 3, 15),
        "Example Magazine",
    )
    # was no claim at all: a paragraph opening with "By" was dropped as a byline
    assert len(claims) == 1
    # and it would have been tested in March 2022, the month the article appeared
    assert (claims[0].window_start, claims[0].window_end) == (date(2021, 11, 1), date(2021, 11, 30))
    assert _claims("By Jane Smith, defence correspondent") == []  # a byline all the same
    end = _only("By the end of January, Russia had moved 100,000 troops to the border.")
    assert end.quantity == 100000


def test_a_ministry_statement_in_translation() -> None:
    claims = extract_claims(
        "The military echelons of the units of the Western Military District have begun moving to "
        "the points of permanent deployment. At the same time, the ministry notes that the Armed "
        "Forces of Ukraine have concentrated up to 125,000 servicemen in the Donbas area.",
        PUBLISHED,
        "Russian Ministry of Defence",
    )
    # were a movement without direction, and Russia's forces ("of Ukraine" read as a place)
    assert [(c.kind, c.force) for c in claims] == [
        (ClaimKind.WITHDRAWAL, Force.RUSSIA),
        (ClaimKind.BUILD_UP, Force.UKRAINE),
    ]


def test_a_long_paragraph_that_mentions_a_career_is_not_a_byline() -> None:
    claims = _claims(
        "John Kirby, who worked at the State Department as a spokesman before joining the "
        "Pentagon, said on Tuesday that Russia had added another 7,000 troops along the border "
        "in recent days, and that some of them had arrived as recently as Monday, contrary to "
        "what Moscow had announced about a pullback."
    )
    assert claims and claims[0].quantity == 7000  # was dropped whole ("worked at ... as a")


def test_the_opposite_of_a_withdrawal_denies_it() -> None:
    claim = _only('"We see the opposite of a withdrawal," the NATO official said.')
    assert (claim.kind, claim.denied_kind) == (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL)  # was none
    instead = _claims("Instead of a withdrawal, we see more troops arriving, a US official said.")
    assert instead[0].kind is ClaimKind.ARRIVAL and instead[0].direction is None  # was "away"
    # and the withdrawal it puts aside is denied (round 8: "rather than", "instead of")
    assert [(c.kind, c.denied_kind) for c in instead[1:]] == [
        (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL)
    ]


# --- round 8: texts written by someone who never saw the extractor --------------------------


def test_a_denial_denies_what_its_own_clause_names() -> None:
    claim = _only(
        "Russian officials have denied that any build-up is taking place, with the Kremlin "
        "describing the movements as routine rotations inside Russian territory."
    )
    assert claim.denied_kind is ClaimKind.BUILD_UP  # was MOVEMENT, from the clause after it


def test_our_count_is_the_author_speaking_and_expanding_camps_grow() -> None:
    count = _only(
        "Our own count, based on commercial imagery and railway tracking, places roughly 60 "
        "battalion tactical groups within 300 km of the border."
    )
    assert (count.kind, count.quantity, count.speaker) == (ClaimKind.COUNT, 60, "Example Wire")
    grown = _only("Imagery from 19 January shows tents and vehicle parks expanding near Klintsy.")
    assert grown.kind is ClaimKind.BUILD_UP and grown.trend is Change.INCREASE  # was a count


def test_short_names_of_ministries_in_posts() -> None:
    speakers = [
        _only(text).speaker
        for text in (
            "Belarus MoD announced that the Allied Resolve drills will continue.",
            "RU MoD claims another tank unit has loaded onto trains and is returning to base.",
            "Ukraine MoD said that Russian troops remained near the border.",
        )
    ]
    assert speakers == [  # were "Belarus MoD" and no claim for the other two
        "Belarusian Ministry of Defence",
        "Russian Ministry of Defence",
        "Ukrainian Ministry of Defence",
    ]


def test_a_thread_of_posts_pasted_as_text() -> None:
    claims = _claims(
        "THREAD: What we've seen in Belarus over the last 48 hours \U0001f9f5\n\n"
        '1/8 Despite Moscow\'s "de-escalation" messaging, we see zero signs of units heading '
        "home. #Russia #Ukraine\n\n"
        "2/8 Imagery from Feb 14 shows at least 45 helicopters now parked at Zyabrovka "
        "airfield \U0001f681 That's up from ~20 a week ago.\n\n"
        "4/8 @DefenceU (Ukraine MoD) said this morning that not one Russian unit had actually "
        "left the border zone \U0001f447\n"
    )
    # were: the first and last posts dropped (no full stop before the tags), "THREAD" a
    # speaker, Moscow's scare-quoted word a withdrawal claimed by the author
    assert [(c.speaker, c.kind, c.denied_kind) for c in claims] == [
        ("Example Wire", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
        ("Satellite imagery (unattributed)", ClaimKind.DEPLOYMENT, None),
        ("Ukrainian Ministry of Defence", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
    ]
    assert claims[1].quote.endswith("at Zyabrovka airfield.")  # the emoji ended the sentence


def test_going_back_to_the_points_of_permanent_deployment() -> None:
    for text in (
        "The first military echelons will depart for the points of permanent deployment today.",
        "The units will return by railway transport to the garrisons of permanent location.",
        "The battalions will return by rail to the garrisons after the inspection.",
    ):
        claim = _only(text)
        assert claim.kind is ClaimKind.WITHDRAWAL, text  # were none


def test_what_the_main_clause_says_not_a_relative_clause() -> None:
    claim = _only(
        "He added that the servicemen of the Armed Forces of the Russian Federation who arrived "
        "on the territory of the republic will remain at the Obuz-Lesnovsky training ground."
    )
    assert (claim.kind, claim.trend) == (ClaimKind.COUNT, Change.NONE)  # was an arrival


def test_publications_that_do_not_correspond_to_reality() -> None:
    claim = _only(
        "The Belarusian defence ministry said the publications in a number of foreign mass media "
        "about the transfer of additional contingents of up to 30,000 servicemen to the southern "
        "regions of the republic do not correspond to reality."
    )
    # was a movement of 30,000 troops, claimed by the ministry
    assert (claim.kind, claim.denied_kind) == (ClaimKind.DENIAL, ClaimKind.BUILD_UP)
    assert claim.speaker == "Belarusian Ministry of Defence"


def test_ministries_and_services_named_of_their_country() -> None:
    speakers = [
        _only(text).speaker
        for text in (
            "According to the Defence Intelligence of Ukraine, about 140,000 Russian servicemen "
            "are near the border.",
            "The Ministry of Defence of Ukraine informs that no withdrawal of Russian forces from "
            "the border has been recorded.",
            "The Ministry of Defence of the Republic of Belarus stated that the troops would leave "
            "Belarus.",
        )
    ]
    # were "UK Ministry of Defence" (its Defence Intelligence) and the outlet, twice
    assert speakers == [
        "Ukrainian military intelligence",
        "Ukrainian Ministry of Defence",
        "Belarusian Ministry of Defence",
    ]


def test_a_quotation_in_the_paragraph_after_a_colon() -> None:
    claims = _claims(
        "The ministry said Russian troops remained near the border.\n\n"
        "Minister of Defence Oleksii Reznikov commented on the Russian statements during a "
        "working trip to the front:\n"
        '"We believe only what we see with our own eyes. And today we see a build-up, not a '
        'retreat."\n'
    )
    said = [(c.kind, c.denied_kind) for c in claims if "Reznikov" in c.speaker]
    # was nothing: the line ending in a colon was dropped, and "X, not Y" read one of the two
    assert said == [(ClaimKind.BUILD_UP, None), (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL)]


def test_aviation_returned_to_the_airfields_of_permanent_basing() -> None:
    claim = _only(
        "Part of the aviation units of the Aerospace Forces, having fulfilled the tasks of the "
        "exercise, returned to the airfields of permanent basing."
    )
    assert claim.kind is ClaimKind.WITHDRAWAL  # was none


def test_allies_troops_and_jets_arriving() -> None:
    soldiers = _only(
        "Over the weekend some 350 additional Dutch and Norwegian soldiers arrived at the "
        "brigade base in Rukla."
    )
    # was Russia's, with no number ("Dutch and Norwegian" between the number and the unit)
    assert (soldiers.force, soldiers.quantity) == (Force.NATO, 350)
    jets = _only("Four Danish F-16 fighter jets landed at Siauliai Air Base on Monday morning.")
    assert (jets.kind, jets.quantity, jets.unit, jets.force) == (  # was none ("landed")
        ClaimKind.ARRIVAL, 4, "aircraft", Force.NATO
    )  # fmt: skip
    drills = _only("Minsk said the Allied Resolve drills would continue.")
    assert drills.force is Force.RUSSIA  # "Allied Resolve" is an exercise, not the allies


def test_a_minister_of_national_defence_by_name() -> None:
    claim = _only(
        "Minister of National Defence Arvydas Anusauskas said that Russia has deployed close to "
        "30,000 troops to Belarus."
    )
    assert claim.speaker == "Arvydas Anusauskas, Minister of National Defence"  # was "Defence
    # Arvydas Anusauskas, Minister of National"
    denial = _claims(
        "Minister of National Defence Arvydas Anusauskas said that Russia has deployed close to "
        '30,000 troops to Belarus. "We do not see any sign that these forces are preparing to '
        'leave Belarus when the exercise ends," the minister said.'
    )[1]
    # was a withdrawal: the sign not seen was too far from "leave"
    assert (denial.kind, denial.denied_kind) == (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL)
    assert denial.speaker == claim.speaker


def test_scenery_after_a_quotation_does_not_take_the_speakers_words() -> None:
    claims = _claims(
        '"What we observe on the ground is not a drawdown. If anything, Russian forces around '
        'Ukraine are still growing," NATO Secretary-General Jens Stoltenberg told reporters in '
        "Brussels ahead of a meeting of alliance defense ministers."
    )
    # was nothing: the words after "told reporters" were taken for what he told them
    assert [(c.speaker, c.kind, c.denied_kind) for c in claims] == [
        ("Jens Stoltenberg, NATO Secretary General", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
        ("Jens Stoltenberg, NATO Secretary General", ClaimKind.BUILD_UP, None),
    ]


def test_inching_up_toward_the_border() -> None:
    claim = _only(
        "Pentagon press secretary John Kirby has told reporters that Russian units are still "
        '"inching up" toward the border.'
    )
    assert (claim.kind, claim.direction) == (ClaimKind.MOVEMENT, Direction.TOWARD)  # was none


def test_footage_released_by_it_is_the_ministrys() -> None:
    claims = _claims(
        "Russia's defence ministry says more troops have completed their drills. It released "
        "footage showing a train loaded with armoured vehicles leaving the Crimean peninsula."
    )
    # the second was the outlet's own withdrawal claim
    assert {c.speaker for c in claims} == {"Russian Ministry of Defence"}


def test_rather_than_and_instead_of_deny_the_other() -> None:
    claims = _claims(
        "Jens Stoltenberg said Wednesday that Russia appeared to be continuing its military "
        "buildup around Ukraine rather than pulling forces back."
    )
    assert [(c.kind, c.denied_kind) for c in claims] == [  # was the build-up alone
        (ClaimKind.BUILD_UP, None),
        (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
    ]
    claims = _claims("Rather than pulling back, Russian troops kept arriving, the official said.")
    # was the outlet's arrival: "the official" with nobody named before is an anonymous one
    assert [(c.speaker, c.kind) for c in claims] == [
        ("official (anonymous)", ClaimKind.ARRIVAL),
        ("official (anonymous)", ClaimKind.DENIAL),
    ]


def test_place_headings_of_a_release_are_places_not_speakers() -> None:
    claims = extract_claims(
        "POGONOVO TRAINING AREA (south of Voronezh): Imagery collected on January 17 shows more "
        "than 350 armored vehicles deployed in the field.\n\n"
        "YELNYA: The large deployment first observed in November remains in place, with roughly "
        "1,200 military vehicles.\n\n"
        "SOLOTI (near Valuyki): The number of tents in the garrison's field camp has roughly "
        "doubled since early January.\n",
        date(2022, 1, 19),
        "Skyline Geospatial",
    )
    # were the speakers "Pogonovo Training Area", "Yelnya" and (the turn going on) "Yelnya"
    assert [c.speaker for c in claims] == [
        "Satellite imagery (unattributed)", "Skyline Geospatial", "Skyline Geospatial"
    ]  # fmt: skip
    assert [c.places[0] for c in claims] == ["Pogonovo", "Yelnya", "Soloti"]
    # "first observed in November" does not move the test to November; "since early January"
    # in a January release is this January (was January 2021)
    assert claims[1].window_end == date(2022, 1, 19)
    assert claims[2].window_start == date(2022, 1, 1)


def test_topic_labels_of_a_newsletter() -> None:
    claims = _claims(
        "* US: The Pentagon confirmed on Wednesday that 2,000 troops are deploying to Poland.\n"
        "* Belarus: Russia's defence ministry says the units taking part in Union Resolve have "
        "now all arrived in Belarus.\n"
        "* Rail: Kateryna Marsh of Sentinel OSINT counted more than 30 military trains heading "
        "west toward Belarus in the past seven days.\n"
        "* Crimea: Planet imagery from 1 Feb shows a new battlegroup-sized encampment at Slavne, "
        "roughly 10 km from the boundary with Kherson region.\n"
    )
    assert [c.speaker for c in claims] == [  # the last two were "Us"
        "US Department of Defense",
        "Russian Ministry of Defence",
        "Kateryna Marsh, Sentinel OSINT",  # was "Sentinel OSINT, Kateryna Marsh of"
        "Satellite imagery (unattributed)",
    ]


def test_a_title_of_a_country_before_a_name() -> None:
    claim = _only(
        "Prime Minister of Ukraine Denys Shmyhal said Russian troops remained in Belarus."
    )
    assert claim.speaker == "Denys Shmyhal, Prime Minister of Ukraine"  # was "Ukraine Denys ..."


def test_movements_on_russian_soil_are_a_reassurance() -> None:
    claims = _claims(
        "Kremlin spokesman Dmitry Peskov rejected claims that Russia is massing forces, saying "
        'that movements of troops on Russian soil are "nobody else\'s concern".'
    )
    # the second was a movement claimed by Peskov
    assert [(c.kind, c.denied_kind) for c in claims] == [(ClaimKind.DENIAL, ClaimKind.BUILD_UP)]


def test_states_of_other_conflicts_speak_and_their_forces_are_not_russias() -> None:
    claims = extract_claims(
        "Serbia on Wednesday denied massing troops on its boundary with Kosovo. "
        "Armenia's Defence Ministry said that Azerbaijani units had brought about 50 armoured "
        "vehicles up to the border.",
        PUBLISHED,
        "AFP",
    )
    # were the outlet's movement, and Russia's forces in both
    assert [(c.speaker, c.kind, c.force) for c in claims] == [
        ("Serbian government", ClaimKind.DENIAL, Force.UNKNOWN),
        ("Armenian Ministry of Defence", ClaimKind.DEPLOYMENT, Force.UNKNOWN),
    ]
    assert claims[1].quantity == 50


def test_what_is_demanded_of_another_is_no_claim() -> None:
    for text in (
        "Russia demanded that NATO withdraw its forces from eastern Europe.",
        "Lavrov called for NATO to pull its troops out of Romania and Bulgaria.",
        "He said Moscow's central demand remained a pledge that Ukraine would never join NATO, "
        "along with a commitment that the alliance would withdraw forces from eastern Europe.",
    ):
        assert _claims(text) == [], text  # were NATO's withdrawal, claimed by the outlet
    kept = _only("Despite calls for de-escalation, Russia added 7,000 troops, a US official said.")
    assert kept.kind is ClaimKind.BUILD_UP  # a demand's scope ends at the comma
    assert _only("Putin pledged that the troops would return to their bases.").kind is (
        ClaimKind.WITHDRAWAL  # a pledge about one's own forces is a claim
    )


def test_a_pullback_from_around_kyiv() -> None:
    texts = {
        "Chernihiv mayor Vladyslav Atroshenko told CNN there was no sign of Russian forces "
        "leaving the outskirts of his city.": (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
        "Britain's Ministry of Defence said that heavily depleted Russian units were being "
        "forced to return to Belarus and Russia to regroup.": (ClaimKind.WITHDRAWAL, None),
        "Russian Deputy Defence Minister Alexander Fomin announced that Moscow would sharply cut "
        "back military activity around Kyiv and Chernihiv.": (ClaimKind.WITHDRAWAL, None),
        "Kirby said what we have seen is additional capability continuing to flow toward the "
        "border.": (ClaimKind.MOVEMENT, None),
    }
    for text, expected in texts.items():
        claim = _only(text)
        assert (claim.kind, claim.denied_kind) == expected, text  # were none


def test_none_of_the_forces_and_a_number_in_quotation_marks() -> None:
    none = _only(
        "Belarus' defence ministry said that none of the Russian forces in the country were "
        "deployed closer than 50 km to the Ukrainian frontier."
    )
    assert (none.kind, none.denied_kind) == (ClaimKind.DENIAL, ClaimKind.DEPLOYMENT)  # was a
    # deployment: "none of" was too far from "deployed"
    quoted = _only(
        'Belarus defence ministry said that "between 5,000 and 7,000" Belarusian servicemen '
        "were taking part in the exercise."
    )
    assert (quoted.quantity, quoted.unit) == (7000, "troops")  # was none: the quote mark


def test_a_no_in_a_briefing_denies_what_the_question_asked() -> None:
    claims = _claims(
        "MR. KIRBY: Afternoon, everybody. We'll take questions.\n\n"
        "Q: Are you seeing any Russian forces pulling back from Crimea or from the border?\n\n"
        "MR. KIRBY: No, we haven't seen that. More battalion tactical groups are moving toward "
        "the border.\n\n"
        "Q: Will the troops in Belarus leave after the exercise?\n\n"
        "MR. KIRBY: I won't speculate.\n"
    )
    # the answer was nothing: "No, we haven't seen that" names no activity of its own
    denial = next(c for c in claims if c.kind is ClaimKind.DENIAL)
    assert denial.denied_kind is ClaimKind.WITHDRAWAL and "Kirby" in denial.speaker
    assert denial.quote.startswith("Q: Are you seeing any Russian forces pulling back")
    assert [c.kind for c in claims].count(ClaimKind.DENIAL) == 1  # "I won't speculate" is none


# --- round 9: a second set by the same kind of writer, measured before and after ----------


def test_history_is_no_claim() -> None:
    for text in (
        "She shows how the Red Army moved something like 1.3 million men and more than 3,000 "
        "tanks into the salient.",
        'The "temporary" stationing of Soviet troops that followed lasted more than two decades.',
    ):
        assert _claims(text) == [], text  # were a movement and a deployment, tested today


def test_the_first_person_singular_and_what_did_not_happen() -> None:
    mine = _only("I make it 400+ vehicles still sitting there.")
    assert (mine.kind, mine.quantity, mine.speaker) == (ClaimKind.COUNT, 400, "Example Wire")
    review = _only(
        "But my own review of commercial imagery of the garrisons at Soloti and Valuyki shows "
        "that the equipment there has not left."
    )
    assert (review.kind, review.denied_kind) == (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL)
    for text in (
        "The claimed withdrawal has almost certainly not taken place at any meaningful scale.",
        "NATO said the announced pullback had yet to materialise.",
    ):
        claim = _only(text)
        assert (claim.kind, claim.denied_kind) == (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL), text


def test_helicopters_that_remain_and_ships_maintained() -> None:
    stay = _only("Around 30 attack and transport helicopters remain at Zyabrovka airfield.")
    assert (stay.kind, stay.quantity, stay.trend) == (ClaimKind.COUNT, 30, Change.NONE)
    ships = _only(
        "The Russian Navy continues to maintain approximately six large landing ships in the "
        "Black Sea."
    )
    assert (ships.kind, ships.quantity, ships.unit) == (ClaimKind.COUNT, 6, "ships")


def test_the_armed_forces_of_other_states() -> None:
    israeli = _only(
        "The Israeli military said on Tuesday that it had deployed an additional infantry "
        "battalion along the northern border with Lebanon."
    )
    # was an unknown speaker and Russia's forces
    assert (israeli.speaker, israeli.force) == ("Israeli Ministry of Defence", Force.UNKNOWN)
    jets = _only("On 23 January, a total of 39 PLA aircraft entered Taiwan's air defence zone.")
    assert (jets.quantity, jets.unit, jets.force) == (39, "aircraft", Force.UNKNOWN)
    ships = _only("In addition, 3 PLA Navy vessels were detected east of the median line.")
    assert (ships.kind, ships.quantity, ships.unit) == (ClaimKind.COUNT, 3, "ships")  # was none


def test_a_question_label_in_capitals_is_a_question() -> None:
    claims = _claims(
        "SPOKESPERSON PRICE: Good afternoon.\n\n"
        "QUESTION: Does the department accept that Russia is pulling forces back?\n\n"
        "SPOKESPERSON PRICE: We see more forces arriving near the border.\n"
    )
    assert "Question" not in {c.speaker for c in claims}  # QUESTION was a speaker
    assert [c.kind for c in claims] == [ClaimKind.ARRIVAL]


def test_a_claim_about_a_year_before_any_imagery_is_dropped_not_a_crash() -> None:
    # the 1950-2100 bound on claim dates made this raise a ValidationError inside extraction
    assert (
        _claims("In 1943, the German army massed 50 divisions near Kursk, historians said.") == []
    )


def test_an_interviews_answers_are_the_interviewees() -> None:
    claims = _claims(
        "Anna Novak, a senior fellow at a Warsaw think tank, has spent months counting trains. "
        "We spoke on Friday.\n\n"
        "Q: Is the pullback real?\n\n"
        "A: I count at least a dozen trains coming in from the east since Tuesday.\n"
    )
    # the answers were read as the question's (nothing) after "Q:", and "A:" was no speaker
    assert [(c.speaker, c.quantity, c.unit) for c in claims] == [("Anna Novak", 12, "trains")]


def test_a_recordings_timestamps_and_accented_names_open_turns() -> None:
    claims = _claims(
        "[00:00:04] MAYA OKAFOR: Welcome back to the show.\n\n"
        "[00:01:34] JAN KOVÁŘ: Nothing I've seen has left Belarus.\n\n"
        "[00:02:05] DEV RAMAN: Last week the 82nd Airborne Division deployed to Poland.\n"
    )
    assert [(c.speaker, c.kind, c.force) for c in claims] == [
        ("Jan Kovář", ClaimKind.DENIAL, Force.RUSSIA),  # was the previous turn's host
        ("Dev Raman", ClaimKind.DEPLOYMENT, Force.US),  # was NATO's forces
    ]


def test_a_broadcast_scripts_capitals_and_cues() -> None:
    claims = _claims(
        "RUSSIA SAYS some of its troops are heading home.\n\n"
        "SOT — BIDEN (:11)\n"
        'OUT: "...very much in a threatening position."\n\n'
        "IN POLAND, the Pentagon says about 3-thousand soldiers from the 82nd Airborne are now "
        "on the ground.\n"
    )
    assert [(c.speaker, c.kind, c.quantity, c.force) for c in claims] == [
        ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL, None, Force.RUSSIA),  # was Outlet
        ("US Department of Defense", ClaimKind.COUNT, 3000, Force.US),  # "OUT:" was a speaker
    ]
    assert claims[0].quote == "RUSSIA SAYS some of its troops are heading home."  # as written


def test_forces_named_by_their_units_and_armies_of_other_states() -> None:
    german = _only("The Bundeswehr already has around 550 soldiers stationed in Lithuania.")
    assert german.force is Force.NATO  # was Russia's
    convoy = _only(
        "A convoy of around 40 vehicles carrying Sudanese troops left Gedaref heading east "
        "toward the border, witnesses said."
    )
    # was a withdrawal "toward" the border, of Russia's forces
    assert (convoy.kind, convoy.direction, convoy.force) == (
        ClaimKind.MOVEMENT,
        Direction.TOWARD,
        Force.UNKNOWN,
    )


def test_questions_and_wishes_assert_nothing() -> None:
    assert _claims("Has NATO already moved any forces to Romania, and would any go?") == []
    assert (
        _claims(
            "So what we need to see is a significant and enduring withdrawal of forces, "
            "Stoltenberg said."
        )
        == []
    )


def test_a_journalists_label_with_her_outlet_opens_a_turn() -> None:
    claims = _claims(
        "STOLTENBERG: We have seen no withdrawal.\n\n"
        "Ioana Preda (Radio Bucharest): Has NATO already sent forces to Romania?\n\n"
        "STOLTENBERG: The United States has already sent around 1,000 troops to Romania.\n"
    )
    assert [c.speaker.split(",")[0] for c in claims] == ["Jens Stoltenberg"] * 2
    assert claims[1].quantity == 1000


def test_tanks_with_no_insignia_are_not_negated() -> None:
    claim = _only(
        "Reuters witnesses said columns of tanks with no insignia were rolling through Donetsk."
    )
    assert claim.kind is ClaimKind.MOVEMENT  # was a denial of the movement


def test_reports_that_a_text_calls_false_are_denied() -> None:
    spread = _only(
        "Information spread by the enemy about the withdrawal of units of the Defence Forces "
        "of Ukraine from Kharkiv is not true."
    )
    # "information ... spread by" was no claim quoted in passing
    assert (spread.kind, spread.denied_kind, spread.force) == (
        ClaimKind.DENIAL,
        ClaimKind.WITHDRAWAL,
        Force.UKRAINE,
    )
    camp = _only("Reports that the field camp near Pogonovo has been abandoned are false.")
    assert (camp.kind, camp.denied_kind) == (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL)
    frankly = _only("So the claims of a pull-back are, frankly, false.")  # ", frankly," hid it
    assert frankly.denied_kind is ClaimKind.WITHDRAWAL


def test_the_outlet_may_state_that_an_event_did_not_happen() -> None:
    crossed = _only(
        "Units of the Armed Forces of the Republic of Belarus have not crossed the state "
        "border of Ukraine."
    )
    # was nothing: a negated event counted in the outlet's voice only when "recorded"
    assert (crossed.kind, crossed.force) == (ClaimKind.DENIAL, Force.BELARUS)
    observed = _only(
        "No Belarusian Armed Forces movements toward the Ukrainian border observed this period."
    )
    assert observed.kind is ClaimKind.DENIAL
    # what was not said is no claim either way
    assert _claims("Russia has not said when its troops will withdraw.") == []
    assert _claims("It is not clear whether Russian troops have left.") == []


def test_a_garrison_that_emptied_and_forces_seen_to_enter() -> None:
    emptied = _only("In contrast, the Yelnya garrison has largely emptied.")
    assert (emptied.kind, emptied.places) == (ClaimKind.WITHDRAWAL, ("Yelnya",))
    enter = _only("General Smith said: We have not seen Belarusian forces enter Ukraine.")
    assert (enter.kind, enter.denied_kind, enter.force) == (
        ClaimKind.DENIAL,
        ClaimKind.ARRIVAL,
        Force.BELARUS,
    )


def test_speakers_a_report_names_in_passing() -> None:
    pointed = _only(
        "Over the past several days, the President of Russia pointed out, Kyiv had "
        "concentrated considerable forces and heavy weaponry close to the line of contact."
    )
    assert pointed.speaker.startswith("Vladimir Putin")  # was the outlet's own voice
    yle = _only(
        "Units of the 80th Arctic Motor Rifle Brigade have also been moved south, Finnish "
        "broadcaster Yle reported, citing military sources."
    )
    assert yle.speaker == "Yle"  # was the outlet
    per = _only(
        "US: arrival of 82nd Abn Div elements in SE Poland complete (approx. 4,700 "
        "personnel), per US DoD."
    )
    # "US:" was a speaker ("Us"), and ", per US DoD" no attribution
    assert (per.speaker, per.quantity, per.force) == ("US Department of Defense", 4700, Force.US)


def test_a_history_told_in_years_long_past_is_no_claim() -> None:
    # published 2022: a narrative of 1979-80 gave claims dated at publication
    history = (
        "On the evening of December 24, 1979, the first Soviet transport aircraft began "
        "landing at Bagram. Over the next two days, paratroopers of the 103rd Guards Airborne "
        "Division arrived by air.\n\n"
        "American satellites had tracked reserve divisions being mobilised in the Turkestan "
        "military district since early December.\n\n"
        "By the end of January 1980, some 80,000 troops were in Afghanistan. The withdrawal "
        "began in May 1988 and ended on February 15, 1989.\n"
    )
    assert _claims(history) == []
    memoir = (
        "In the summer of 1994 I was a young captain in Latvia, and I watched the last Russian "
        "troop trains pull out of the Baltic states.\n\n"
        "Today Moscow has massed more than 100 battalion tactical groups near Ukraine.\n"
    )
    # the paragraph that opens in 1994 tells of then; the next one is about now
    assert [c.quantity for c in _claims(memoir)] == [100]
    # a year compared with is no setting, nor a window: "the largest since 1945" dropped the
    # claim (a window from 1945), "since 1991" gave a window of 31 years
    for year in (1945, 1991):
        claim = _only(
            f"Russia has massed 150,000 troops near Ukraine, the largest build-up since {year}."
        )
        assert claim.quantity == 150000 and claim.window_start.year == 2022


def test_a_bulletins_items_ending_in_semicolons_are_read() -> None:
    claims = _claims(
        "In the Polissia direction:\n"
        "- the enemy is regrouping units of the 36th Combined Arms Army and moving reserves "
        "toward Kyiv from the territory of the Republic of Belarus;\n"
        "- up to 8 battalion tactical groups of the occupiers have been withdrawn to the "
        "territory of Belarus to restore combat capability;\n"
    )
    # the items were dropped: no full stop
    assert [(c.kind, c.quantity) for c in claims] == [
        (ClaimKind.MOVEMENT, None),
        (ClaimKind.WITHDRAWAL, 8),
    ]


def test_a_press_service_heading_home_and_a_recorded_increase() -> None:
    dpr = _only(
        "The Ukrainian military has concentrated up to 120,000 personnel near the contact line "
        "in Donbass, the press service of the People's Militia of the Donetsk People's "
        "Republic (DPR) said on Saturday."
    )
    assert dpr.speaker.startswith("People's Militia")  # was the outlet
    train = _only(
        "A military train carrying armored vehicles crossed the Crimean Bridge on Wednesday, "
        "heading for the units' home garrisons, the Southern Military District said."
    )
    assert train.kind is ClaimKind.WITHDRAWAL  # "heading for ... garrisons" was no trigger
    recorded = _only(
        "At the same time, an increase in the number of Belarusian units near the border in "
        "the Brest and Gomel regions has been recorded."
    )
    assert (recorded.kind, recorded.force) == (ClaimKind.BUILD_UP, Force.BELARUS)


def test_an_opinion_piece_speaks_in_its_authors_voice_and_advice_is_no_claim() -> None:
    claims = _claims(
        "OPINION | GUEST ESSAY\nThe Courier · February 18, 2022\n\n"
        "This is not what a withdrawal looks like.\n\nBy Walter K. Brennan\n\n"
        "Let me be plain: Moscow has massed more than 100 battalion tactical groups on three "
        "sides of Ukraine.\n\n"
        "Second, move air defense units to Romania and the Baltic states before they are "
        "needed.\n\n"
        "It is unlikely that the trains filmed leaving Crimea are bound for home.\n"
    )
    # the author's claims were the outlet's; the advice was a deployment, the hedge a withdrawal
    assert [(c.speaker, c.kind, c.quantity) for c in claims] == [
        ("Walter K. Brennan", ClaimKind.BUILD_UP, 100)
    ]
    news = _claims("By Walter K. Brennan\n\nMoscow has massed 100 battalion tactical groups.\n")
    assert [c.speaker for c in news] == ["Example Wire"]  # a reporter's byline: the outlet


def test_guesses_and_troops_on_alert_are_no_events() -> None:
    # was a movement toward Kyiv, and a deployment of 8,500 US troops
    assert (
        _claims("Some analysts believe Russian units may be preparing to move toward Kyiv.") == []
    )
    assert (
        _claims(
            "On Monday the Pentagon said it had placed about 8,500 troops on heightened alert "
            "for possible deployment to Europe."
        )
        == []
    )
    placed = _only("Russia has placed 30 tanks near the border.")
    assert (placed.kind, placed.quantity) == (ClaimKind.DEPLOYMENT, 30)


def test_a_digests_items_name_their_source_last_in_parentheses() -> None:
    claims = _claims(
        "EASTERN FLANK\n"
        "• Romania: About 1,000 soldiers of the 2nd Cavalry Regiment have completed their road "
        "march from Vilseck to Mihail Kogalniceanu air base (US Army Europe and Africa)\n"
        '• Crimea: Reports that additional units are being sent to Crimea "do not correspond '
        'to reality" (Russian Defence Ministry, via Interfax)\n'
        "• Taiwan: A total of 39 PLA aircraft entered the air defence identification zone "
        "(ADIZ)\n"
    )
    # the items were dropped (no full stop), and their sources were no speakers
    assert [c.speaker for c in claims][:2] == [
        "US Army Europe and Africa",
        "Russian Ministry of Defence",
    ]
    assert claims[0].quantity == 1000 and claims[0].force is Force.US
    assert "ADIZ" not in {c.speaker for c in claims}  # an acronym of the words before it
    said = _only("The garrison has grown to 700 vehicles, according to Rochan Consulting.")
    assert said.speaker == "Rochan Consulting"  # a name no table holds, after "according to"


def test_that_is_false_denies_the_claim_just_made_by_another() -> None:
    claims = _claims(
        "Russia said on Tuesday that its troops were returning to their bases. "
        '"That is just false," a senior US official said.'
    )
    # the second sentence gave nothing: "That is false" names no event
    assert [(c.speaker, c.kind, c.denied_kind) for c in claims] == [
        ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL, None),
        ("US officials (anonymous)", ClaimKind.DENIAL, ClaimKind.WITHDRAWAL),
    ]


def test_the_outlets_own_count_of_forces_at_a_place_is_a_claim() -> None:
    for text, number, place in [
        ("Russia keeps about 1,500 troops in Transnistria.", 1500, "Transnistria"),
        ("There are now about 30,000 Russian troops in Belarus.", 30000, "Belarus"),
        ("An estimated 130,000 Russian troops are near the border.", 130000, "border"),
    ]:
        claim = _only(text)  # was nothing: the outlet's voice needed a verb of motion
        assert (claim.speaker, claim.kind, claim.quantity) == (
            "Example Wire",
            ClaimKind.COUNT,
            number,
        )
        assert place in claim.places
    # background, not a claim about a place now: a past figure, a size, a forecast
    for text in [
        "Russia had 100,000 troops near the border in April.",
        "Russia has about 900,000 active-duty troops.",
        "Russia could have 175,000 troops near the border by January.",
    ]:
        assert _claims(text) == [], text


def test_places_the_list_does_not_know_are_read_by_their_shape() -> None:
    claim = _only("German troops arrived at Rukla on Monday to reinforce the battlegroup.")
    assert "Rukla" in claim.places  # was (): only places in a fixed list were known
    moved = _only("Azerbaijani troops have moved into the Syunik region, Armenia said.")
    assert "Syunik region" in moved.places
    two = _only("Units were seen outside Osipovichi and near Zyabrovka airfield, Maxar said.")
    assert {"Osipovichi", "Zyabrovka airfield"} <= set(two.places)
    # times, possessives and bodies are no places; a listed place keeps its listed spelling
    said = find_places(
        "In January, in Putin's words, Russian troops in Rechitsa were only exercising, "
        "officials at the Pentagon said."
    )
    assert said == ("Rechytsa",), said


def test_wrecked_vehicles_are_losses_not_a_presence() -> None:
    assert (
        _claims(
            "Satellite images published by Maxar on Wednesday showed the burned-out remains "
            "of dozens of vehicles near Kyiv."
        )
        == []
    )


def test_they_goes_on_with_the_forces_of_the_sentence_before() -> None:
    claims = _claims(
        "US troops arrived in Poland on Sunday. They have since moved to a base near Rzeszow."
    )
    assert [(c.kind, c.force) for c in claims] == [
        (ClaimKind.ARRIVAL, Force.US),
        (ClaimKind.MOVEMENT, Force.US),  # was nothing: "They" is no military noun
    ]
    # with no claim just before, "They" is nobody's forces
    assert _claims("The talks ended on Monday. They have since moved to Geneva.") == []


def test_a_claim_quoted_in_passing_ends_between_words() -> None:
    claims = _claims(
        "VLADIMIR Putin's claims of a troop pullback have been exposed as a lie after satellite "
        "pictures revealed hundreds of new military vehicles near Ukraine and Belarus."
    )
    # the quoted claim's words were cut at 120 characters, inside a word ("near Ukr")
    assert all(not p.startswith("Ukr") for c in claims for p in c.places)


def test_equipment_only_the_us_fields_names_us_forces() -> None:
    claim = _only(
        "C-17 transport planes carrying troops and vehicles have been landing at "
        "Rzeszow-Jasionka airport since Saturday."
    )
    assert claim.force is Force.US  # was Russia, the default


def test_a_sentence_in_capitals_is_read_and_quoted_as_written() -> None:
    text = (
        "THE RUSSIAN DEFENCE MINISTRY SAID ON FRIDAY THAT TROOPS WERE RETURNING TO THEIR "
        "PERMANENT BASES."
    )
    claim = _only(text)  # was the outlet's: the speaker in capitals was no name
    assert (claim.speaker, claim.kind) == ("Russian Ministry of Defence", ClaimKind.WITHDRAWAL)
    assert claim.quote == text


def test_a_news_tickers_lines_are_read_without_a_full_stop() -> None:
    claims = _claims(
        "KANAL 24 INFO - TICKER ARCHIVE\n\n"
        "06:45 \u25b8 RECAP: TWO BELARUSIAN HELICOPTERS VIOLATED POLISH AIRSPACE NEAR THE BORDER\n"
        "09:15 \u25b8 BŁASZCZAK: 2,000 SOLDIERS OF 18TH MECHANISED DIVISION BEING SENT TO "
        "PODLASIE\n"
    )
    sent = [c for c in claims if c.quantity == 2000]
    assert len(sent) == 1, [(c.speaker, c.quote) for c in claims]  # was none: no full stop
    assert sent[0].speaker == "Błaszczak" and sent[0].kind is ClaimKind.DEPLOYMENT
    assert sent[0].quote.startswith("2,000 SOLDIERS OF 18TH")  # as broadcast, not lower case
    assert "Recap" not in {c.speaker for c in claims}  # a ticker's topic word is nobody


def test_a_meetings_record_names_delegates_by_name_and_country_in_brackets() -> None:
    claim = _only(
        "SERGIY KYSLYTSYA (Ukraine), speaking under rule 37, said that Russia had amassed "
        "112,000 troops along Ukraine's borders."
    )
    assert claim.speaker == "Sergiy Kyslytsya, representative of Ukraine"  # was the outlet
    massing = _only(
        "NICOLAS DE RIVIÈRE (France) said that Russian forces continued to mass near Ukraine."
    )
    assert massing.kind is ClaimKind.BUILD_UP  # was nothing: "to mass" was no verb
    assert massing.speaker.startswith("Nicolas De Rivière")
    aside = _only("The Russian Defence Ministry (MoD) said troops were returning to their bases.")
    assert aside.speaker == "Russian Ministry of Defence"  # the bracketed aside hid the speaker


def test_an_observers_report_counts_what_it_sighted() -> None:
    tanks = _only("On 11 April, the same UAV spotted 14 tanks (T-64) near Sontseve.")
    assert (tanks.kind, tanks.quantity, tanks.unit) == (ClaimKind.COUNT, 14, "tanks")
    guns = _only("On 11 April, the UAV spotted two self-propelled howitzers near Hnutove.")
    assert (guns.quantity, guns.unit) == (2, "artillery pieces")  # howitzers were no forces
    rockets = _only("It also spotted six multiple launch rocket systems near Bezimenne.")
    assert (rockets.quantity, rockets.unit) == (6, "artillery pieces")


def test_reference_marks_after_the_full_stop_keep_a_sentence_and_references_are_no_text() -> None:
    claims = _claims(
        "Timeline\n\n"
        "30 March - Ruslan Khomchak told the Verkhovna Rada that Russia had concentrated 28 "
        "battalion tactical groups along the border.[3][4]\n\n"
        "References\n\n"
        '^ "Shoigu: armies moved west to the border", 13 April 2021.\n'
    )
    # the entry was dropped (it ended in "[4]", not a full stop); the reference was read
    assert [(c.quantity, c.speaker.split(",")[0]) for c in claims] == [(28, "Ruslan Khomchak")]


def test_a_speaker_described_in_an_apposition_is_not_a_noun_of_the_description() -> None:
    hajun = _only(
        "Belarusian Hajun, an independent monitoring project that relies on reports from "
        "railway workers and residents, said on Monday that at least 15 echelons with Russian "
        "equipment had arrived in Belarus."
    )
    assert hajun.speaker == "Belarusian Hajun"  # was "Railway workers and residents"
    general = _only(
        "Brigadier General Kioumars Heydari, commander of the Ground Force of the Army of the "
        "Islamic Republic of Iran, announced on Tuesday that the units had returned to their bases."
    )
    assert general.speaker.startswith("Kioumars Heydari, commander of")  # was Iran's government


def test_a_build_up_at_the_border_needs_no_military_noun_in_a_speakers_words() -> None:
    claim = _only("Jens Stoltenberg said Russia continues its build-up near Ukraine.")
    assert claim.kind is ClaimKind.BUILD_UP  # was nothing: no "troops", no "military"
    assert (
        _claims("The minister said the economic build-up near the border was good for trade.") == []
    )


def test_no_forces_there_denies_their_presence() -> None:
    claim = _only('"There are no Russian troops in Mali," Defence Minister Ivan Petrov said.')
    assert (claim.kind, claim.force) == (ClaimKind.DENIAL, Force.RUSSIA)  # was nothing
    assert "Mali" in claim.places


def test_a_peoples_adjective_the_list_does_not_hold_sits_between_number_and_unit() -> None:
    claim = _only(
        "Local officials said more than 20 Ethiopian armoured vehicles were massing on the border."
    )
    assert (claim.quantity, claim.unit) == (20, "vehicles")  # was no number: "Ethiopian"


def test_a_wargames_moves_are_no_claims() -> None:
    text = (
        "Our tabletop exercise pitted a Red team against a Blue team over the Suwalki gap. "
        "Red opened by massing 45,000 troops and 300 tanks near the border under the cover of a "
        "snap exercise. Blue deployed a brigade combat team to the area around the gap. At this "
        "point the control team ended the military phase of the game."
    )
    assert _claims(text) == []  # was five claims about forces that do not exist
    # an analysis that speaks of players and a scenario is still read
    real = _claims(
        "Russia has massed 100,000 troops near the border, US officials said. Analysts said the "
        "most likely scenario was a limited incursion, and regional players were alarmed."
    )
    assert [c.kind for c in real] == [ClaimKind.BUILD_UP]


def test_a_headlines_known_speaker_before_a_colon_speaks_the_rest() -> None:
    claim = _only("13:50 GMT – US official: Russia has added up to 7,000 troops")
    assert claim.speaker == "US officials (anonymous)"  # was the outlet's (a label in lower case)
    assert claim.quote == "Russia has added up to 7,000 troops."
    # a heading that is no speaker stays the outlet's
    assert _only("Key points: Russia has added up to 7,000 troops.").speaker == "Example Wire"


def test_an_attribution_set_off_by_commas_speaks_the_clause_before_it() -> None:
    claims = _claims(
        "Pentagon press secretary John Kirby said the moves were temporary. About 2,000 troops "
        "are being deployed from Fort Bragg, he said, most of them to Poland."
    )
    sent = [c for c in claims if c.quantity == 2000]
    assert [c.speaker for c in sent] == ["John Kirby, Pentagon spokesman"]  # was the outlet's
    # a lead before the attribution is no clause of its own: the claim comes after it
    lead = _only(
        "Over the past several days, the President of Russia pointed out, Kyiv had concentrated "
        "considerable forces close to the line of contact."
    )
    assert lead.speaker.startswith("Vladimir Putin") and lead.kind is ClaimKind.BUILD_UP


def test_a_subject_before_the_attribution_and_its_verb_after_it_are_one_statement() -> None:
    claim = _only("Some units, the official said, are moving closer to the border, not away.")
    # was nothing: "are moving closer" had no subject, "Some units" no verb
    assert (claim.kind, claim.direction) == (ClaimKind.MOVEMENT, Direction.TOWARD)
    assert claim.speaker == "official (anonymous)"


def test_putting_a_force_at_a_figure_is_a_count() -> None:
    claim = _only("US officials put the Russian contingent there at about 30,000 troops.")
    assert (claim.kind, claim.quantity) == (ClaimKind.COUNT, 30000)  # was nothing ("put" only
    # counted before "the number" or "the figure")
    assert claim.speaker == "US officials (anonymous)"


def test_strike_groups_formed_or_not_and_not_threatening_anyone() -> None:
    none_yet = _only(
        '"As of today, no strike group of the Russian armed forces has been formed," Reznikov said.'
    )
    assert (none_yet.kind, none_yet.denied_kind) == (ClaimKind.DENIAL, ClaimKind.BUILD_UP)
    formed = _only("Reznikov said Russia had formed a strike group near Yelnya.")
    assert formed.kind is ClaimKind.BUILD_UP  # was nothing: "strike group" was no force
    calm = _only('"Russia is not threatening anyone," Kremlin spokesman Dmitry Peskov said.')
    assert (calm.kind, calm.denied_kind) == (ClaimKind.DENIAL, None)  # a denial of intent


def test_allied_capitals_speak_for_their_governments_unless_they_are_where_one_is() -> None:
    warsaw = _only(
        "Warsaw said on Monday it had sent 2,000 more soldiers to the border with Belarus."
    )
    assert warsaw.speaker == "Polish government"  # was nobody: the allies' capitals were unknown
    embassy = _claims(
        "Russia's embassy in Warsaw called the reports hysteria. "
        '"There is no Russian build-up," it said in a statement.'
    )
    assert "Polish government" not in {c.speaker for c in embassy}  # "in Warsaw" is a place
    diplomat = _only(
        "A senior Western diplomat in Belgrade, who asked not to be named, said there was no "
        "sign of heavy armour moving toward the boundary."
    )
    assert diplomat.speaker == "Western diplomat (anonymous)"  # was the Serbian government
