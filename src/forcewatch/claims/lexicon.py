"""Word lists for claim extraction: reporting verbs, kind triggers, units, forces, places, clutter.

Every list is a regular expression over text whose typographic characters were folded to ASCII
(curly quotes and apostrophes to straight ones, dashes to '-'); all are case-insensitive unless
marked ``(?-i:...)``. Kept apart from the extractor so they can grow without touching its logic.
"""

from __future__ import annotations

import re

from forcewatch.claims.model import ClaimKind, Force

I = re.IGNORECASE  # noqa: E741

# Words that dismiss a claim: "called the reports propaganda", "the claim was nonsense".
DISMISSIVE = (
    r"propaganda|provocation|hysteria|nonsense|rubbish|lies|absurd|fake|baseless|groundless"
    r"|disinformation"
)

# --- reporting verbs -----------------------------------------------------------------------
# Verbs that attribute what follows (or precedes) to a speaker. Denial verbs make a denial.
DENIAL_VERBS = (
    r"denied|denies|deny|denying|rejected|rejects|rejecting|dismissed|dismisses|dismissing"
    r"|disputed|disputes|disputing|refuted|refutes|cast(?:ing)?\s+doubt\s+on"
    r"|pushed\s+back\s+on|pushing\s+back\s+on|played\s+down|downplayed"
)
EVIDENCE_VERBS = (
    r"showed|shows|show|shown|showing|revealed|reveals|reveal|suggested|suggests|suggest"
    r"|indicated|indicates|indicate|confirmed|confirms|confirm|found|finds"
)
SAY_VERBS = (
    r"said|says|say|saying|told|tells|telling|claimed|claims|claiming|announced|announces"
    r"|announcing|warned|warns|warning|insisted|insists|insisting|reported|reports|reporting"
    r"|wrote|writes|stated|added|adds|adding|noted|notes|noting|revealed|reveals|estimated"
    r"|estimates|assessed|assesses|believe|believes|believed|maintained|maintains|maintaining"
    r"|acknowledged|admitted|alleged|alleges|observed|explained|argued|argues|assured|countered"
    r"|counted|recorded|commented|comments|remarked|underlined|emphasi[sz]ed|emphasi[sz]es"
    r"|informed|informs|promised|promises|pledged|vowed"
    r"|concluded|cautioned|stressed|read|estimate|assess|warn|insist|maintain|argue|allege"
    rf"|call(?:ed|s)(?=[^.;]{{0,100}}?\b(?:{DISMISSIVE})\b)"
    r"|documented|spotted|identified|tracked|geolocated"
    # "put the figure at 100,000", "puts the Russian force around Ukraine at 127,000 troops"
    r"|put(?:s|ting)?\s+(?:the\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,2}?(?:number|figure|total"
    r"|size|strength|count|force|forces|grouping|presence|contingent)"
    r"(?=[^.;]{0,80}?\bat\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|some\s+|more\s+than\s+"
    r"|over\s+|up\s+to\s+|almost\s+|at\s+least\s+)?\d)"
    r"|pointed\s+out|points\s+out|drew\s+attention\s+to(?:\s+the\s+fact)?"
    r"|draws\s+attention\s+to(?:\s+the\s+fact)?"
)
REPORTING_VERB = re.compile(
    rf"\b(?P<verb>according\s+to|(?<=,\s)per(?=\s+(?:the\s+)?(?-i:[A-Z]))|{DENIAL_VERBS}"
    rf"|{SAY_VERBS}|{EVIDENCE_VERBS})\b",
    I,
)
SHOW_VERB = re.compile(r"^(?:show|shows|showed|shown|indicate|indicates|indicated)$", I)
DENIAL_VERB = re.compile(rf"^(?:{DENIAL_VERBS})$", I)
EVIDENCE_VERB = re.compile(rf"^(?:{EVIDENCE_VERBS})$", I)
PARTICIPLE = re.compile(r"ing$|ing\s", I)
# verbs that may follow their speaker at the end of a clause: '"...," said Blinken'
INVERTIBLE = re.compile(
    r"^(?:said|says|writes|wrote|reports|reported|added|adds|noted|claimed|claims|warned"
    r"|insisted|stated|explained|continued|concluded|told)$",
    I,
)
PAST_VERB = re.compile(r"ed$|^(?:said|told|wrote|showed|shown|read|cast)$", I)

# --- kind triggers ---------------------------------------------------------------------------
# (kind, verbal, pattern). Verbal triggers assert an event; nominal ones name it ("a build-up")
# and only count with support (a force, number, place or direction) or in a speaker's words.
_W = r"(?:[\w',.-]+\s+)"  # one word (or number) and its space
# troops "on heightened alert" or "on standby": ready to go, neither sent nor counted where they are
_ON_ALERT = r"\bon\s+(?:heightened\s+|high\s+|higher\s+|full\s+)?(?:alert|standby|notice)\b"
ON_ALERT = re.compile(_ON_ALERT, re.IGNORECASE)
TRIGGERS: tuple[tuple[ClaimKind, bool, re.Pattern[str]], ...] = tuple(
    (kind, verbal, re.compile(rx, I))
    for kind, verbal, rx in [
        (ClaimKind.WITHDRAWAL, True, r"\bwithdr[ae]w(?:ing|n|s)?\b"),
        (ClaimKind.WITHDRAWAL, True, rf"\bpull(?:ing|ed|s)?\s+{_W}{{0,3}}?(?:back|out)\b"),
        (ClaimKind.WITHDRAWAL, True,
         r"\breturn(?:ing|ed|s)?\s+(?:back\s+)?to\s+(?:their\s+|its\s+)?(?:home\s+|permanent\s+)?"
         r"(?:bases?|garrisons?|barracks|(?:places?|points?)\s+of\s+(?:permanent\s+)?deployment"
         r"|permanent\s+(?:deployment\s+)?(?:points|locations|bases|garrisons))"),
        (ClaimKind.WITHDRAWAL, True,
         r"\b(?:head(?:ing|ed)?|go(?:ing)?|went|sent|return(?:s|ed|ing)?|come|came|coming)\s+"
         r"(?:back\s+)?home\b"),
        (ClaimKind.WITHDRAWAL, True,
         rf"\b(?:return\s+of|back\s+to)\s+{_W}{{0,4}}?(?:to\s+)?(?:their\s+|its\s+)?(?:home\s+"
         r"|permanent\s+)?(?:bases?|garrisons?|barracks)\b"),
        (ClaimKind.WITHDRAWAL, True, r"\b(?:scal(?:e|ing|ed)\s+back|draw(?:ing|n)?\s+down)\b"),
        (ClaimKind.WITHDRAWAL, True,
         rf"\b(?:decreas|reduc|shr[iu]nk)\w*\s+{_W}{{0,3}}?(?:forces|troops|presence|contingent"
         r"|numbers|units)\b"),
        (ClaimKind.WITHDRAWAL, True,
         r"\b(?:numbers?|presence|forces|troops|contingent)\b[^.;,]{0,60}?\b(?P<v>decreas(?:e|ed|es"
         r"|ing)|reduc(?:e|ed|es|ing)|shr[iu]nk(?:s|ing)?|dwindl(?:e|ed|es|ing))\b"),
        (ClaimKind.WITHDRAWAL, False, r"\b(?:reductions?|decreases?)\s+(?:in|of)\b"),
        (ClaimKind.WITHDRAWAL, True,
         r"\barriv(?:e|ed|es|ing)\s+(?:back\s+)?(?:at|in)\s+(?:its|their)\s+(?:home|permanent)\s+"
         r"(?:deployment\s+)?(?:stations?|bases?|garrisons?|barracks|points|locations)\b"),
        (ClaimKind.WITHDRAWAL, True,
         rf"\b(?:mov|head|go|went|sent|travel|transferr?|return)\w*\s+{_W}{{0,3}}?to\s+(?:their\s+"
         r"|its\s+)?(?:home|permanent)\s+(?:deployment\s+)?(?:bases?|garrisons?|points|locations"
         r"|stations)\b"
         # "have begun moving to the points of permanent deployment"
         r"|\b(?:mov|head|go|went|sent|travel|transferr?|depart|leav|left|return|dispatch)\w*"
         rf"\s+{_W}{{0,3}}?(?:to|for)\s+(?:the\s+|their\s+|its\s+)?"
         r"(?:places?|points?|sites?|garrisons?|bases?|airfields?)\s+of\s+(?:their\s+)?permanent"
         r"\s+(?:deployment|basing|location|stationing|dislocation)\b"),
        (ClaimKind.WITHDRAWAL, True,  # "moving to their garrisons", "return troops to base"
         rf"\b(?:mov|head|return|march|travel)\w*\s+{_W}{{0,3}}?(?:back\s+)?(?:to|for)\s+"
         # "heading for the units' home garrisons"
         r"(?:their|its|the(?:\s+[\w-]+['\u2019]s?)?)?\s*"
         r"(?:home\s+|permanent\s+)?(?:bases?|garrisons?|barracks)\b"),
        (ClaimKind.WITHDRAWAL, True, r"\bde-?escalat(?:e|es|ed|ing)\b"),
        (ClaimKind.WITHDRAWAL, True,
         rf"\b(?:no|not\s+a\s+single|none\s+of\s+the)\s+{_W}{{0,3}}?(?:soldiers?|troops?|units?"
         r"|servicem[ae]n)\s+(?:\w+\s+){0,5}?(?:remain|stay)\w*"),
        (ClaimKind.WITHDRAWAL, True,
         r"\b(?:leav(?:e|es|ing)|left|depart(?:s|ed|ing)?)\s+(?:the\s+)?(?:(?-i:[A-Z][\w-]+)\s+)?"
         r"(?:border|crimea|belarus|area|region|exercise|training\s+grounds?|country|republic"
         r"|territory|peninsula|outskirts|positions|capital|city|town|front)\b"),
        (ClaimKind.WITHDRAWAL, True,  # "return to Belarus and Russia to regroup", "scale back"
         r"\breturn(?:s|ed|ing)?\s+(?:\w+\s+)?to\s+(?:Russia|Belarus|Russian\s+territory)\b"
         r"|\b(?:cut(?:s|ting)?|scal(?:e|es|ed|ing)|wind(?:s|ing)?|wound)\s+(?:\w+\s+)?(?:back|down)\s+"
         r"(?:its\s+|their\s+|the\s+)?(?:military\s+activity|offensive|operations?|presence|forces)\b"),
        (ClaimKind.WITHDRAWAL, True,  # "the equipment there has not left": read as negated
         r"\b(?:ha(?:ve|s|d)\s+not|ha(?:ve|s|d)n't)\s+(?:yet\s+)?(?P<v>left|departed|gone\s+home"
         r"|moved\s+out)\b"),
        (ClaimKind.WITHDRAWAL, True,  # "units that had been there have now departed"
         r"\b(?:ha(?:ve|s|d))\s+(?:now\s+|since\s+|already\s+|recently\s+|also\s+)*"
         r"(?:departed|left|gone)\b(?!\s+(?:for|to|toward|towards|behind|over|into)\b)"
         # "had left their assembly areas and moved into combat positions": a move forward
         r"(?![^.;]{0,60}?\band\s+(?:have\s+|had\s+)?(?:moved|headed|deployed|advanced|shifted"
         r"|gone)\s+(?:in)?to(?:wards?)?\b)"),
        (ClaimKind.WITHDRAWAL, True,  # "the field camp has been abandoned", "has largely emptied"
         r"\b(?:ha(?:s|ve|d)\s+(?:been\s+)?|(?:is|are|was|were)\s+(?:now\s+)?)(?:largely\s+"
         r"|mostly\s+|partly\s+|partially\s+|completely\s+|now\s+|since\s+)?(?P<v>abandoned"
         r"|emptied|vacated)\b"),
        (ClaimKind.WITHDRAWAL, False,
         r"\b(?:withdrawals?|pull-?\s?backs?|pull-?outs?|drawdown|de-?escalation|retreat)\b"),
        (ClaimKind.EXERCISE_END, True,
         r"\b(?:exercises?|drills?|manoeuvres|maneuvers|war\s*games)\b[^.;]{0,90}?\b(?:end(?:s|ed"
         r"|ing)?\b|finish|conclud|complet|wrap(?:ped|ping)?\s+up|(?:will|would|to|set\s+to)\s+"
         r"(?:run|last|continue|be\s+held|take\s+place)\s+(?:from|until|till|through|to)|(?:are|were|is|was)\s+over\b"
         r"|last(?:s|ing)?\s+(?:until|till|through))"),
        (ClaimKind.EXERCISE_END, True,
         rf"\b(?:complet|finish|conclud|end)\w*\s+{_W}{{0,3}}?(?:exercises?|drills?|manoeuvres"
         r"|maneuvers)\b"),
        (ClaimKind.EXERCISE_END, False,
         rf"\b(?:end|completion|conclusion)\s+of\s+(?:the\s+)?{_W}{{0,2}}?(?:exercises?|drills?"
         r"|manoeuvres|maneuvers)\b"),
        (ClaimKind.ARRIVAL, True, r"\barriv(?:e|ed|es|ing)\b"),
        (ClaimKind.ARRIVAL, True, r"\b(?:cross(?:ed|es|ing)?|pour(?:ed|ing)?)\s+into\b"),
        (ClaimKind.ARRIVAL, True, r"\b(?:entered|entering|unload(?:ed|ing))\b"),
        # "we have not seen Belarusian forces enter Ukraine"
        (ClaimKind.ARRIVAL, True, r"\benters?\s+(?:into\s+)?(?=(?-i:[A-Z]))"),
        (ClaimKind.ARRIVAL, True, r"\b(?:have|has|had)\s+(?:\w+\s+)?(?:come|reached)\b"),
        (ClaimKind.ARRIVAL, True, r"\b(?:turn(?:ed)?|show(?:ed)?)\s+up\b"),
        (ClaimKind.ARRIVAL, True,  # "paratroopers landed at Rzeszow", "a transport was expected at"
         r"\bland(?:ed|ing|s)?\s+(?:at|in|on)\b|\b(?:is|was|are|were)\s+expected\s+(?:to\s+arrive\s+)?"
         r"(?:at|in)\b"),
        (ClaimKind.ARRIVAL, False, r"\b(?:arrivals?|influx)\b"),
        (ClaimKind.DEPLOYMENT, True,
         r"\b(?:deploy(?:ed|ing|s)?|station(?:ed|ing)|dispatch(?:ed|es|ing)?|position(?:ed|ing)"
         r"|placed|parked|lined\s+up)\b"
         # "placed 8,500 troops on heightened alert": ready to go, not sent
         rf"(?![^.;]{{0,50}}?{_ON_ALERT})"),
        (ClaimKind.DEPLOYMENT, True, rf"\bsen[dt](?:s|ing)?\s+{_W}{{0,5}}?(?:to|into)\b"),
        (ClaimKind.DEPLOYMENT, True,  # "ordered Russian troops into two breakaway regions"
         rf"\border(?:ed|s|ing)?\s+{_W}{{0,3}}?(?:troops|forces|units|soldiers)\s+(?:in)?to\b"),
        (ClaimKind.DEPLOYMENT, True,  # "are now in attack positions closer to the border"
         r"\b(?:are|were|is|was|remain\w*)\s+(?:now\s+|already\s+|still\s+)?in\s+(?:attack"
         r"|offensive|combat|firing|forward|(?:tactical\s+)?assembly)\s+(?:positions|areas"
         r"|formations?)\b|\barrayed\b"),
        (ClaimKind.DEPLOYMENT, True, r"\bset\s+up\s+(?:camps?|positions|field)\b"),
        (ClaimKind.DEPLOYMENT, True,
         rf"\b(?:flown|airlifted|ferried|transported|shipped|brought)\s+{_W}{{0,5}}?(?:in|into|to)\b"),
        (ClaimKind.DEPLOYMENT, False, r"\b(?:deployments?|stationing)\b"),
        # a state, not an event: "50 BTGs were already deployed near the border"
        (ClaimKind.COUNT, True,
         r"\b(?:are|were|is|was|remain(?:s|ed)?|ha(?:ve|s)\s+been)\s+(?:already\s+|now\s+"
         r"|currently\s+|still\s+)?(?:deployed|stationed|positioned|based)\s+(?:at|near|in|on"
         r"|along|around|close)\b"),
        # a size: "the grouping numbers up to 149,000 personnel", "now stands at about 148,000"
        (ClaimKind.COUNT, True,
         r"\b(?:numbers|numbered|totals|total(?:l)?ed|stands\s+at|stood\s+at|amounts\s+to"
         r"|amounted\s+to)\s+(?:up\s+to\s+|about\s+|some\s+|around\s+|roughly\s+|more\s+than\s+"
         r"|over\s+|nearly\s+|almost\s+|at\s+least\s+|as\s+many\s+as\s+)?\d"),
        (ClaimKind.MOVEMENT, True, r"\bmov(?:e|es|ed|ing)\b"),
        (ClaimKind.MOVEMENT, True,
         r"\b(?:head(?:ed|ing|s)?|travel(?:l?ed|l?ing|s)?|roll(?:ed|ing|s)?|driv(?:e|es|ing)"
         r"|march(?:ed|ing)?|flow(?:s|ed|ing)?|stream(?:s|ed|ing)?)\s+(?:\w+\s+)?(?:west|east|north"
         r"|south|toward|towards|to|into|through)\b"),
        (ClaimKind.MOVEMENT, True, r"\bmade\s+(?:their|its)\s+way\b"),
        (ClaimKind.MOVEMENT, True, r"\bpass(?:ed|es|ing)?\s+through\b"),
        # an invasion under way (not "could invade": a prediction is no observed activity)
        (ClaimKind.MOVEMENT, True,
         r"\b(?:invaded|invading|(?:launched|launching|started|starting|began|begun)\s+(?:a\s+|an\s+"
         r"|the\s+|its\s+)?"
         r"(?:full-scale\s+|large-scale\s+|military\s+|ground\s+)?(?:invasion|offensive|assault)"
         r"|cross(?:ed|es|ing)\s+the\s+(?:\w+\s+)?(?:border|frontier))\b"),
        (ClaimKind.MOVEMENT, True,
         r"\b(?:redeploy(?:ed|ing|s)?|reposition(?:ed|ing|s)?|relocat(?:e|es|ed|ing)"
         r"|transfer(?:red|ring|s)?|edg(?:e|es|ed|ing)\s+closer|on\s+the\s+move)\b"
         # 'units are still "inching up" toward the border', "creeping closer"
         r"|\b(?:inch|creep|crept|edg)(?:e|es|ed|ing)?\s*[\"']?\s*(?:up|closer|forward|nearer"
         r"|toward|towards)\b"),
        (ClaimKind.MOVEMENT, True,
         rf"\bshift(?:ed|ing|s)?\s+{_W}{{0,3}}?(?:to|toward|towards|closer)\b"),
        (ClaimKind.MOVEMENT, False,
         r"\b(?:movements?|convoys?|redeployments?|relocations?|transfers?)\b"),
        (ClaimKind.BUILD_UP, True,
         r"\b(?:mass(?:ing|ed|es)|to\s+mass\b|amass(?:ed|es|ing)?|gather(?:ed|ing)|build(?:ing|s)?\s+up|built\s+up"
         r"|ramp(?:ing|ed|s)?\s*'?\s*up|reinforc(?:e|ed|es|ing)|mobili[sz](?:e|ed|es|ing)"
         r"|concentrat(?:e|ed|es|ing))\b"),
        (ClaimKind.BUILD_UP, True,
         rf"\b(?:increas|boost|bolster|expand|strengthen)(?:e|ed|es|ing)?\s+{_W}{{0,3}}?(?:forces"
         r"|troops|presence|military|contingent|numbers)\b"),
        (ClaimKind.BUILD_UP, True,  # 'Russia has added "several thousand" troops'
         r"\badd(?:ed|s|ing)\s+(?!that\b)(?:[\w\"',.-]+\s+){0,4}?(?:troops|forces|soldiers|units"
         r"|battalions?"
         r"|battalion\s+tactical\s+groups|btgs|tanks|vehicles|aircraft|helicopters)\b"),
        (ClaimKind.BUILD_UP, True,  # "has not formed a strike group", "no strike group ... formed"
         r"\bform(?:ed|ing|s)?\s+(?:an?\s+|any\s+)?(?:offensive|strike|assault|attack)\s+"
         r"(?:group(?:ing)?s?|forces?)\b|\b(?:offensive|strike|assault|attack)\s+group(?:ing)?s?\s+"
         r"(?:[\w-]+\s+){0,6}?(?:has|have|had|was|were)\s+(?:yet\s+)?(?:been\s+)?formed\b"),
        (ClaimKind.BUILD_UP, True,  # "the camp had appeared in the past ten days"
         r"\b(?:camps?|tents?|field\s+hospitals?|bases?|positions|encampments?)\s+(?:\w+\s+){0,3}?"
         r"(?P<v>appeared|emerged|sprang\s+up|sprung\s+up|popped\s+up)\b"),
        (ClaimKind.BUILD_UP, True,  # "their combat power near the border has increased"
         r"\b(?:numbers?|presence|forces|troops|contingent|combat\s+power|strength|grouping"
         r"|total)\b[^.;,]{0,60}?\b(?P<v>increas(?:e|ed|es|ing)|grow(?:s|n|ing)?|grew"
         r"|swell(?:s|ed|ing)?|ris(?:e|es|en|ing)|rose|doubled|tripled|trebled"
         r"|go(?:es|ing)?\s+up|went\s+up)\b"),
        (ClaimKind.BUILD_UP, True,
         rf"\b(?:pontoon\s+)?bridges?\s+{_W}{{0,4}}?(?:built|put|erected|laid|constructed|thrown)\b"),
        (ClaimKind.BUILD_UP, True,
         r"\b(?:buil[dt]|build(?:s|ing)|erect(?:s|ed|ing)?|construct(?:s|ed|ing)?|la(?:id|ys|ying)"
         r"|put\s+up|thr(?:ew|own))\s+(?:(?:a|an|the|two|three|several|new|temporary|military)\s+)*"
         r"(?:pontoon\s+)?bridges?\b"),
        (ClaimKind.BUILD_UP, True,
         rf"\b(?:field\s+hospitals?|blood\s+supplies)\s+{_W}{{0,3}}?(?:set\s+up|erected|built"
         r"|deployed|moved)\b"),
        (ClaimKind.COUNT, True,  # a state: "tens of thousands of troops remain in Belarus"
         r"\b(?:troops|forces|units|soldiers|servicemen|personnel|helicopters|aircraft|jets|ships"
         r"|vessels|tanks|vehicles|launchers|systems)\s+(?:\w+\s+){0,2}?(?P<v>remain(?:s|ed)?"
         r"|stay(?:s|ed)?)\s+(?:in|on|near|at|along|around|inside)\b"),
        (ClaimKind.COUNT, True,  # "the Navy continues to maintain approximately six landing ships"
         r"\bmaintain(?:s|ed|ing)?\s+(?:an?\s+)?(?:about|approximately|around|roughly|some|at\s+least"
         r"|up\s+to|\d|one|two|three|four|five|six|seven|eight|nine|ten|dozens|hundreds|thousands"
         r"|presence)"),
        (ClaimKind.COUNT, True,  # "the servicemen who arrived ... will remain at the ranges"
         r"\b(?:will|would|shall|to)\s+(?:\w+\s+)?(?P<v>remain|stay)\s+(?:in|on|near|at|along"
         r"|around|inside)\b"),
        (ClaimKind.COUNT, True,  # "the units at Klimovo had not moved since their arrival"
         r"\b(?P<v>ha(?:ve|s|d)\s+not|haven't|hasn't|hadn't)\s+(?:moved|budged)\s+(?:since|from"
         r"|out\s+of)\b"),
        (ClaimKind.COUNT, True,  # "Russian troops could stay 'as long as necessary'"
         r"\b(?:stay|remain)(?:s|ed|ing)?\s+[\"']?(?:as\s+long\s+as|indefinitely|for\s+now)\b"
         r"|\b(?:stay|remain)(?:s|ed|ing)?\s+(?:in\s+\w+\s+)?(?:beyond|after|past)\s+the\s+(?:\w+\s+)?"
         r"end\s+of\s+(?:the\s+)?(?:\w+\s+)?(?:drills|exercises?|manoeuvres|maneuvers)\b"),
        (ClaimKind.COUNT, True,  # an observation: "at least 300 vehicles are visible"
         r"\b(?:are|were|is|was)\s+(?:clearly\s+|also\s+|now\s+)?(?:visible|present|spotted|seen"
         r"|observed|photographed|filmed|detected|sighted|tracked)\b"
         r"|\bcan\s+(?:clearly\s+|also\s+)?be\s+seen\b"),
        (ClaimKind.BUILD_UP, True,
         r"\b(?:remain(?:s|ed|ing)?|stay(?:s|ed|ing)?)\s+in\s+(?:place|(?:their|its)\s+(?:positions"
         r"|places|locations))\b"),
        (ClaimKind.BUILD_UP, False,
         r"\b(?:build-?\s?ups?|concentrations?|increases?\s+(?:in|of)|(?:military\s+)?presence"
         r"|(?:military\s+)?preparations|mobili[sz]ation|reinforcements|massing"
         r"|(?:unusual|increased|heightened|significant)\s+(?:\w+\s+)?(?:military\s+)?activity"
         r"|(?:new\s+)?blood\s+supplies|field\s+hospitals?)\b"),
    ]
)  # fmt: skip

# Reassurances that make a statement a denial even without a denial verb.
REASSURANCE = re.compile(
    r"\bno\s+(?:intention|plans?)\s+(?:of|to)\b|\bnot\s+(?:planning|going)\s+to\s+(?:invade|attack)"
    r"|\b(?:purely|strictly|entirely|exclusively)\s+defensive\b|\bdefensive\s+in\s+nature\b"
    r"|\bplanned\s+(?:long\s+ago|(?:well\s+)?in\s+advance)\b|\broutine\b|\binternal\s+(?:matter|affair)"
    r"|\bshould\s+(?:not|n't)\s+(?:worry|concern|threaten)|\bpose[sd]?\s+no\s+threat"
    r"|\b(?:not|no)\s+(?:a\s+)?threat\s+to\b"
    # "Russia is not threatening anyone", "there will be no war"
    r"|\bnot\s+threatening\s+(?:anyone|anybody|any\s+country|its\s+neighbou?rs)\b"
    r"|\bthreatens?\s+no\s*(?:one|body)\b|\bthere\s+will\s+be\s+no\s+war\b"
    r"|\bnothing\s+to\s+do\s+with\b|\b(?:on|around|within|across|in)\s+(?:its|their|our)\s+own\s+"
    r"(?:territory|soil|land)\b"
    r"|\b(?:free|right|entitled)\s+to\s+(?:move|deploy|station)\b"
    # "movements of troops on Russian soil are nobody else's concern"
    r"|\bon\s+(?:russian|belarusian)\s+(?:soil|territory)\b|\bnobody(?:'s|\s+else'?s)\s+(?:concern"
    r"|business)"
    r"|\b(?:no|never|not)\s+(?:\w+\s+)?(?:plan(?:s|ned|ning)?|intend(?:s|ed|ing)?|intention)\s+(?:of\s+|to\s+)"
    rf"(?:invad|attack)\w*|[\"']?\b(?:{DISMISSIVE})\b",
    I,
)
# A trigger that is demanded of another is no claim that it happens: "Russia demanded that NATO
# withdraw its forces", "called for NATO to pull its troops out", "urged Moscow to pull back".
DEMAND = re.compile(
    r"\b(?:demand(?:s|ed|ing)?|call(?:s|ed|ing)?\s+(?:for|on|upon)|urg(?:e|es|ed|ing)"
    r"|ultimatum|security\s+guarantees?"
    # "what we need to see is a significant and enduring withdrawal"
    r"|(?:need|needs|want|wants|would\s+like|expect|expects|hope|hopes)\s+to\s+see)\b"
    r"(?:[^.;,]|,\s+(?:along\s+with|and|as\s+well\s+as)\b)"
    r"{0,150}$",
    I,
)
# A trigger in a subordinate clause is assumed, not asserted: "once the exercises end".
CONDITIONAL = re.compile(r"\b(?:once|when|whenever|after|if|unless|until|before)\s+(?:the\s+)?$", I)
NEGATOR = re.compile(
    r"\b(?:no|not|never|nor|without|neither|cannot|yet\s+to|nothing|none|nobody|zero"
    r"|(?:the\s+)?(?:opposite|reverse|contrary)\s+of|instead\s+of|rather\s+than|far\s+from)\b"
    r"|n't\b",
    I,
)
WIDE_NEGATOR = re.compile(
    r"\b(?:(?:no|zero)\s+(?:sign|signs|indication|evidence|date|timetable|timeline|deadline)"
    r"|not\s+(?:a\s+single|one)|none\s+of|yet\s+to\s+see|not\s+(?:yet\s+)?seen|(?:not|n't)\s+see\s+(?:any\s+)?(?:signs?|indications?|evidence)(?:\s+that)?|(?:not|n't)\s+see"
    r"|not\s+(?:yet\s+)?verified|no\s+meaningful)\b",
    I,
)
# "the drills ... would continue": an extension, i.e. a denial that the exercise ends.
EXTENSION = re.compile(
    r"\b(?:exercises?|drills?|manoeuvres|maneuvers)\b[^.;]{0,80}?\b(?:continue[sd]?|extended"
    r"|prolonged|will\s+go\s+on)\b|\b(?:extend|prolong)(?:s|ed|ing)?\s+(?:the\s+)?(?:\w+\s+){0,3}"
    r"(?:exercises?|drills?)\b|\b(?:extension|prolongation)\s+of\s+(?:the\s+)?(?:\w+\s+){0,3}"
    r"(?:exercises?|drills?)\b",
    I,
)
# Perception verbs that make a nominal trigger an observation: "we continue to see a build-up".
PERCEPTION = re.compile(
    r"\b(?:see|seen|seeing|saw|observe[sd]?|observing|witness\w*|detect\w*|notic\w*)\b", I
)
# "No withdrawal ... has been recorded": the outlet's own observation that something did not happen
RECORDED = re.compile(
    r"\b(?:ha(?:s|ve)\s+been|was|were)\s+(?:yet\s+)?(?:recorded|registered|observed|seen"
    r"|detected|noticed|verified|confirmed|spotted)\b"
    # a report's shorthand: "No Belarusian movements toward the border observed this period."
    r"|\b(?:recorded|registered|observed|detected|noticed|spotted)\s+(?:this|in\s+the|during"
    r"|over|since|so\s+far|to\s+date|yet)\b",
    I,
)
# "Russia's claim that it is withdrawing was false": a claim quoted in passing, called untrue
_FALSE = (
    r"(?:is|was|are|were|has\s+been|had\s+been)(?:\s*,\s*(?:frankly|simply|clearly|plainly"
    r"|quite\s+simply|bluntly|demonstrably|patently|categorically|again)\s*,)?\s+(?:simply\s+"
    r"|clearly\s+|plainly\s+|completely\s+|also\s+)?[\"']?(?:false|untrue|not\s+true|a\s+lie|misleading|wrong"
    rf"|incorrect|inaccurate|{DISMISSIVE}|a\s+(?:ruse|bluff|deception|fiction)|not\s+borne\s+out"
    r"|not\s+supported|(?:at\s+odds|inconsistent)\s+with|(?:contradicted|belied|undermined"
    r"|refuted|disproved|disproven)\s+by)|(?:proved|proven"
    r"|turned\s+out)\s+(?:to\s+be\s+)?(?:false|untrue|wrong)"
    # translated statements: "... do not correspond to reality"
    r"|(?:do|does|did)\s+not\s+correspond\s+(?:to|with)\s+(?:the\s+)?(?:reality|facts|truth)"
    r"|(?:have|has|had)\s+nothing\s+(?:to\s+do\s+)?with\s+(?:the\s+)?(?:reality|truth)"
)
FALSE_PREDICATE = re.compile(rf"(?:^|\s)(?:{_FALSE})\b", I)
# "Our analysis does not support Moscow's claim of a pullback": a claim quoted in passing, refuted
REFUTES = re.compile(
    r"\b(?:(?:does|do|did)\s+not\s+(?:support|bear\s+out|match|square\s+with|back\s+up)"
    r"|contradict(?:s|ed)?|belie(?:s|d)?|undermin(?:es|ed)|(?:is|are|was|were)\s+(?:at\s+odds"
    r"|inconsistent)\s+with|(?:(?:found|find|see|saw|seen)\s+)?no\s+(?:evidence|sign|indication"
    r"|proof|confirmation)\s+(?:of|for|to\s+(?:support|back\s+up|confirm)))\s*$",
    I,
)
TREND_INCREASE = re.compile(
    r"\b(?:more(?!\s+than)|additional|added|adding|extra|further|another|new|newly|increas\w*|growing"
    r"|grown|grew|doubled|tripled|expand(?:ed|ing|s)?|swell(?:ed|ing|s)?|swollen"
    r"|ramp\w*\s*'?\s*up|(?:previously|formerly)\s+(?:empty|vacant|unoccupied)"
    r"|up\s+from\s+(?:about\s+|around\s+|some\s+|roughly\s+|an\s+estimated\s+|estimated\s+)?"
    r"\d[\d,]*)\b",
    I,
)
# "..., compared with about 100,000 on January 30": an earlier figure to compare the claim's with
EARLIER_FIGURE = re.compile(
    r"\b(?:compared\s+(?:with|to)|against|from)\s+(?:about\s+|around\s+|some\s+|roughly\s+"
    r"|an\s+estimated\s+|estimated\s+|approximately\s+)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)"
    r"(?:\s+(?:on|in|at|last|earlier|a\s+\w+\s+ago)\b|\s*[,.;]|\s*$)",
    I,
)
TREND_NONE = re.compile(
    r"\b(?:remain(?:s|ed|ing)?|still|continued\s+presence|not\s+(?:moved|budged)\s+since|stay(?:s|ed|ing)?\s+(?:in\s+place|put"
    r"|[\"']?as\s+long\s+as|indefinitely|beyond|past|in|on))\b",
    I,
)
REPORTED_SPEECH_HEDGE = re.compile(
    r"\b(?:could|might|may|fears?|feared|concerns?|worr(?:y|ies|ied)|threat(?:en)?|amid|whether"
    r"|if|possib\w*|risk|citing|unlikely"
    # "Russia has not said when its troops will withdraw": nothing said, nothing claimed
    r"|(?:not|n't|never)\s+(?:yet\s+)?(?:said|say|specified|specify|disclosed|disclose|announced"
    r"|indicated|given)\s+(?:a\s+date\s+)?(?:when|how\s+long|how\s+many|where|for\s+how))\b",
    I,
)
FUTURE = re.compile(
    r"\b(?:will|would|shall|(?:is|are)\s+set\s+to|set\s+to|plans?\s+to|planning\s+to"
    r"|(?:is|are)\s+expected\s+to|could|in\s+the\s+coming)\b",
    I,
)

# --- direction -------------------------------------------------------------------------------
TOWARD = re.compile(
    r"\btowards?\b|\bcloser\s+to\b|\b(?:mov\w*|head\w*|sent|travel\w*)\s+(?:[\w%,.-]+\s+){0,6}?"
    r"(?:to|into)\s+the\s+"
    r"(?:area|region|border|frontier|front)\b",
    I,
)
TOWARD_ACROSS = re.compile(
    r"\b(?:invaded|invading|invasion|offensive|assault|cross(?:ed|es|ing)\s+the\s+(?:\w+\s+)?"
    r"(?:border|frontier))\b",
    I,
)
AWAY = re.compile(
    r"\baway\s+from\b|\bmov\w*\s+away\b|\bpull\w*\s+back\b|\bto\s+(?:their\s+|its\s+)?"
    r"(?:home|permanent)\s+(?:deployment\s+)?(?:bases?|garrisons?|points|locations)\b"
    r"|\b(?:mov|head|return|march|travel)\w*\s+(?:[\w-]+\s+){0,3}?(?:back\s+)?to\s+(?:their|its)"
    r"\s+(?:bases?|garrisons?|barracks)\b"
    r"|\bback\s+to\s+(?:their\s+)?"
    r"(?:bases?|garrisons?|barracks)\b|\breturn\w*\s+to\s+(?:their\s+|its\s+)?(?:home\s+)?"
    r"(?:bases?|garrisons?|barracks)\b|\bwithdr[ae]w\w*",
    I,
)
DIRECTION_NEGATED = re.compile(
    r"(?:\bnot|\bthan(?:\s+\w+){0,2}|\b(?:opposite|reverse|contrary|instead)\s+of(?:\s+an?)?"
    r"|\bfar\s+from)\s*$",
    I,
)

# --- quantities and units --------------------------------------------------------------------
UNITS: tuple[tuple[str, str], ...] = (
    (
        "battalion tactical groups",
        r"battalion\s+tactical\s+groups?|btgs?|battalion\s+groups?|battle\s*groups?",
    ),
    (
        "troops",
        r"(?:military\s+)?(?:troops|soldiers|servicemen|service\s?members|personnel"
        r"|paratroopers|marines|forces|force|men)",
    ),
    ("vehicles", r"(?:armou?red\s+|military\s+)?(?:vehicles|trucks|lorries)"),
    ("tanks", r"(?:main\s+battle\s+)?tanks"),
    (
        "artillery pieces",
        r"(?:self-propelled\s+|towed\s+)?(?:artillery(?:\s+pieces|\s+systems)?|howitzers"
        r"|(?:multiple\s+launch\s+)?rocket\s+(?:systems|launchers)|mlrs)",
    ),
    (
        "aircraft",
        r"(?:military\s+|combat\s+)?(?:aircraft|planes|warplanes|bombers|fighters"
        r"|(?:fighter\s+)?jets)",
    ),
    ("helicopters", r"(?:attack\s+)?helicopters"),
    ("ships", r"(?:landing\s+|war)?ships|vessels"),
    ("trains", r"(?:military\s+)?trains|railcars|echelons"),
    ("tents", r"tents"),
    ("battalions", r"battalions"),
    ("brigades", r"brigades"),
    ("divisions", r"divisions"),
    ("missile launchers", r"(?:missile\s+)?launchers|iskanders?(?:\s+launchers)?"),
    ("field hospitals", r"field\s+hospitals"),
)
UNIT_RX = tuple((name, re.compile(rf"^(?:{rx})\b", I)) for name, rx in UNITS)
ANY_UNIT = re.compile(r"\b(?:" + "|".join(rx for _, rx in UNITS) + r")\b", I)


def unit_name(text: str) -> str | None:
    """The canonical unit ("troops", "tents", ...) that ``text`` starts with, or None."""
    return next((name for name, rx in UNIT_RX if rx.match(text)), None)


QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("as many as", r"as\s+many\s+as|as\s+much\s+as"),
    ("more than", r"more\s+than|over|upwards\s+of|in\s+excess\s+of"),
    ("at least", r"at\s+least|no\s+fewer\s+than|no\s+less\s+than"),
    ("up to", r"up\s+to"),
    ("nearly", r"nearly|almost|close\s+to|just\s+under"),
    ("fewer than", r"fewer\s+than|less\s+than|under"),
    ("about", r"about|around|approximately|roughly|some|an\s+estimated|estimated|approx\.?"),
)
QUALIFIER_RX = re.compile(
    r"(?:" + "|".join(rf"(?P<q{i}>{rx})" for i, (_, rx) in enumerate(QUALIFIERS)) + r")\s*$", I
)
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "a dozen": 12, "dozen": 12, "a hundred": 100,
    "a thousand": 1000, "thirteen": 13, "fourteen": 14, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
# "twenty-five", "forty two"
NUMBER_WORDS.update(
    {
        f"{tens}{sep}{unit}": NUMBER_WORDS[tens] + NUMBER_WORDS[unit]
        for tens in ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
        for unit in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
        for sep in ("-", " ")
    }
)
NUMBER = re.compile(
    r"(?<![\w.,-])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])"
    r"|\d+(?:\.\d+)?|"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r")(?:(?:\s*|-(?=million|thousand))(?P<mult>million|thousand|hundred|k)\b)?"
    r"(?P<strong>-strong)?(?P<plus>-plus|\+)?(?![\w-])",
    I,
)
# words that may sit between a number and its unit: "7,000 more Russian troops"
# nationalities of NATO's members (besides the US): whose forces, and words before a unit
_ALLIES = (
    r"british|britain's|polish|german|romanian|lithuanian|latvian|estonian|french|canadian|dutch"
    r"|norwegian|danish|belgian|spanish|italian|portuguese|czech|slovak|hungarian|bulgarian"
    r"|croatian|slovenian|greek|turkish|albanian|finnish|swedish|luxembourg(?:ish)?|icelandic"
    r"|montenegrin"
)
UNIT_MODIFIERS = re.compile(
    r"^(?:(?:more|additional|extra|new|further|other|russian|belarusian|us|u\.s\.|american"
    rf"|ukrainian|nato|allied|{_ALLIES}|and|combat-ready|combat|active|armou?red|military|infantry"
    r"|ground|land|naval|air|elite|reserve|frontline|front-line|attack|fighter|transport"
    r"|large|small|landing|amphibious|assault|support|main|battle|heavy|light|mechani[sz]ed|navy"
    r"|towed|self-propelled"
    # a people's adjective the list does not hold: "20 Ethiopian armoured vehicles"
    r"|(?-i:[A-Z][a-z]{2,}(?:ian|ean|ese|ish|an|i))"
    r"|(?-i:PLA|IDF|[A-Z]{2,4}(?=\s+(?:aircraft|jets|ships|vessels|troops|soldiers|tanks)))"
    r"|of\s+(?:its|their|the)|of"
    r"|(?-i:[A-Z][A-Za-z]*-\d+\w*(?:[A-Z]\w*)?))\s+){0,4}",
    I,
)
NON_FORCE_UNIT = re.compile(
    r"^\s*(?:-\s*)?(?:km|kilomet(?:re|er)s?|miles?|metres?|meters?|m\b|hours?|days?|weeks?|months?"
    r"|years?|percent|per\s+cent|%|st\b|nd\b|rd\b|th\b)",
    I,
)

# --- forces ------------------------------------------------------------------------------------
# States of other conflicts, whose forces are none of those this project sides by (force
# "unknown", not Russia's): (name, adjective, capital)
OTHER_STATES: tuple[tuple[str, str, str], ...] = (
    ("Serbia", "Serbian", "Belgrade"), ("Kosovo", "Kosovar", "Pristina"),
    ("Azerbaijan", "Azerbaijani", "Baku"), ("Armenia", "Armenian", "Yerevan"),
    ("China", "Chinese", "Beijing"), ("Taiwan", "Taiwanese", "Taipei"),
    ("Venezuela", "Venezuelan", "Caracas"), ("Guyana", "Guyanese", "Georgetown"),
    ("Brazil", "Brazilian", "Brasilia"), ("Iran", "Iranian", "Tehran"),
    ("Israel", "Israeli", "Jerusalem"), ("North Korea", "North Korean", "Pyongyang"),
    ("South Korea", "South Korean", "Seoul"), ("Japan", "Japanese", "Tokyo"),
    ("India", "Indian", "New Delhi"), ("Pakistan", "Pakistani", "Islamabad"),
    ("Moldova", "Moldovan", "Chisinau"), ("Kazakhstan", "Kazakh", "Astana"),
    ("Syria", "Syrian", "Damascus"), ("Sudan", "Sudanese", "Khartoum"),
    ("Ethiopia", "Ethiopian", "Addis Ababa"), ("Eritrea", "Eritrean", "Asmara"),
    ("Somalia", "Somali", "Mogadishu"), ("Egypt", "Egyptian", "Cairo"),
    ("Iraq", "Iraqi", "Baghdad"), ("Lebanon", "Lebanese", "Beirut"),
    ("Saudi Arabia", "Saudi", "Riyadh"), ("Yemen", "Yemeni", "Sanaa"),
    ("Afghanistan", "Afghan", "Kabul"), ("Libya", "Libyan", "Tripoli"),
    ("Mali", "Malian", "Bamako"), ("Rwanda", "Rwandan", "Kigali"),
    ("Tajikistan", "Tajik", "Dushanbe"), ("Kyrgyzstan", "Kyrgyz", "Bishkek"),
    ("Thailand", "Thai", "Bangkok"), ("Cambodia", "Cambodian", "Phnom Penh"),
    ("Vietnam", "Vietnamese", "Hanoi"), ("Philippines", "Philippine", "Manila"),
)  # fmt: skip
# NATO's members near the front, as speakers: "Warsaw said", "Lithuania's defence ministry"
# (name, adjective, capital); their own forces are read from the words, as before
ALLIED_STATES: tuple[tuple[str, str, str], ...] = (
    ("Poland", "Polish", "Warsaw"), ("Lithuania", "Lithuanian", "Vilnius"),
    ("Latvia", "Latvian", "Riga"), ("Estonia", "Estonian", "Tallinn"),
    ("Romania", "Romanian", "Bucharest"), ("Germany", "German", "Berlin"),
    ("France", "French", "Paris"), ("Slovakia", "Slovak", "Bratislava"),
    ("Hungary", "Hungarian", "Budapest"), ("Bulgaria", "Bulgarian", "Sofia"),
    ("Canada", "Canadian", "Ottawa"),
)  # fmt: skip
_OTHER_NAMES = "|".join(rf"{n}|{c}" for n, _, c in OTHER_STATES)
_OTHER_ADJECTIVES = "|".join(rf"{a}|{n}'s" for n, a, _ in OTHER_STATES) + (
    r"|(?-i:PLA)|people's\s+liberation\s+army|(?-i:IDF)|hezbollah"
)
FORCE_WORDS: tuple[tuple[Force, str], ...] = (
    (Force.RUSSIA, r"russian|russia's|russia|moscow's|moscow|kremlin's"),
    (Force.BELARUS, r"belarusian|belarussian|belarus's|minsk's"),
    (Force.US, r"(?-i:US|U\.S\.)|americans?|united\s+states'?|washington's|pentagon's"),
    (
        Force.NATO,
        rf"(?-i:NATO)(?:'s)?|(?-i:allied)|(?-i:Allied)(?=\s+(?:nations?|forces|troops|countries|partners|soldiers|units))|allies'|(?-i:UK)|{_ALLIES}|(?-i:eFP)|multinational",
    ),
    (Force.UKRAINE, r"ukrainian|ukraine's|kyiv's|kiev's"),
    (Force.UNKNOWN, _OTHER_ADJECTIVES),
)
# Forces named by themselves, whose force words need no military noun after them ("3,000
# soldiers from the 82nd Airborne", "The Bundeswehr already has 550 soldiers")
FORCE_UNITS: tuple[tuple[Force, re.Pattern[str]], ...] = (
    (
        Force.US,
        re.compile(
            r"\b(?:(?:82nd|101st|173rd)\s+(?:airborne|abn)|(?:1st|3rd|4th)\s+(?:infantry|armou?red)"
            r"\s+division|2nd\s+cavalry\s+regiment|(?-i:USAF|USMC|U\.S\.\s+Marines)"
            # equipment only the US fields in Europe: "C-17 transport planes landed at ..."
            r"|C-17s?|C-5s?|KC-135s?|B-52s?|F-22s?|Strykers?|Abrams|Bradleys?|HIMARS|AH-64s?)\b",
            I,
        ),
    ),
    (
        Force.NATO,
        re.compile(r"\b(?:bundeswehr|royal\s+(?:marines|navy|air\s+force)|(?-i:RAF))\b", I),
    ),
)
FORCE_RX = tuple(
    (force, re.compile(rf"(?<![\w-])(?:{rx})(?![\w-])", I)) for force, rx in FORCE_WORDS
)
# Military words: those that mean forces in any news, and those that also name civilian things
# ("a training camp", "bases", "the team's equipment").
_MILITARY_WORDS = (
    r"troops?|soldiers?|servicem[ae]n|military|army|armies|tanks?|armou?r|armou?red|artillery"
    r"|helicopters?|warplanes|battalions?|btgs?|battalion\s+tactical\s+groups?|brigades?|divisions?"
    r"|regiments?|warships|missiles?|iskanders?|infantry|paratroopers|marines"
    r"|military\s+districts?|combined\s+arms\s+army|combat\s+enablers|combat\s+power"
    r"|howitzers?|mlrs|(?:multiple\s+launch\s+)?rocket\s+(?:systems?|launchers?)"
    r"|(?:strike|offensive|assault)\s+group(?:ing)?s?"
)
_SHARED_WORDS = (
    r"forces?|personnel|units?|vehicles?|equipment|aircraft|jets?|trains?|convoys?|battle\s*groups?"
    r"|airfields?|air\s*bases?|airbases?|tents?|bases?|camps?|garrisons?|navy|fleet|ships?|vessels"
    r"|launchers?|squadrons?|field\s+hospitals?|pontoon|bridges?|contingent|kit|hardware|columns?"
    r"|training\s+(?:areas?|grounds?|ranges?)|exercises|drills|manoeuvres|maneuvers|war\s*games"
    r"|blood\s+supplies|bombers|capabilit(?:y|ies)"
)
MILITARY_NOUN = re.compile(rf"\b(?:{_MILITARY_WORDS}|{_SHARED_WORDS})\b", I)
# Words of other news (sport, travel, markets): with them, only an unambiguous military word
# makes a claim ("the national football team arrived for a training camp" is none).
CIVILIAN = re.compile(
    r"\b(?:football|soccer|hockey|basketball|tennis|team|club|athletes?|players?|fans|tourists?"
    r"|olympic\w*|championship|tournament|match|league|concert|festival|orchestra|pilgrims"
    r"|holiday\w*|students?)\b",
    I,
)
# Forces of the past: a claim about the Soviet army or the Wehrmacht is history, never one to test
HISTORICAL_FORCES = re.compile(
    r"\b(?:Soviet|USSR|Red\s+Army|Warsaw\s+Pact|Wehrmacht|Nazi|East\s+German|West\s+German"
    r"|Third\s+Reich|Napoleon\w*|Confederate)\b"
)
STRONG_MILITARY = re.compile(rf"\b(?:{_MILITARY_WORDS}|combat)\b", I)
# States by name, for "Russia has placed" (the subject of a verb) and "its troops" (the owner).
STATE_NAMES: tuple[tuple[Force, str], ...] = (
    (Force.RUSSIA, r"Russia|Moscow|the\s+Kremlin"),
    (Force.BELARUS, r"Belarus|Minsk"),
    (Force.US, r"the\s+US|the\s+U\.S\.|the\s+United\s+States|Washington|the\s+Pentagon"),
    (Force.NATO, r"NATO|the\s+alliance|Britain|the\s+UK"),
    (Force.UKRAINE, r"Ukraine|Kyiv|Kiev"),
    (Force.UNKNOWN, _OTHER_NAMES),
)
FORCE_SUBJECTS: tuple[tuple[Force, re.Pattern[str]], ...] = tuple(
    (force, re.compile(rf"(?<![\w-])(?:{rx})$")) for force, rx in STATE_NAMES
)
STATE_RX: tuple[tuple[Force, re.Pattern[str]], ...] = tuple(
    (force, re.compile(rf"(?<![\w-])(?:{rx})(?![\w'\u2019-])")) for force, rx in STATE_NAMES
)
# A state named after a preposition is a place, not an actor: "troops near Ukraine were ...".
PREPOSITION_END = re.compile(
    r"\b(?:near|to|from|in|into|inside|within|outside|with|against|of|on|onto|at|by|for|off"
    r"|toward|towards|across|along|around|over|through|beyond|about|between|under)\s*$",
    I,
)
NATO_DESTINATION = re.compile(
    r"\b(?:to|into|in)\s+(?:the\s+)?(?:Poland|Germany|Romania|Lithuania|Latvia|Estonia|Slovakia"
    r"|Hungary|Bulgaria|the\s+Baltics?|Baltic\s+states|eastern\s+Europe|NATO'?s\s+eastern\s+flank)\b",
    I,
)

# --- places ------------------------------------------------------------------------------------
PLACES: tuple[tuple[str, str], ...] = (
    ("Belarus", r"Belarus|Belarusian\s+territory"),
    ("Crimea", r"(?:the\s+)?Crimea(?:n\s+peninsula)?"),
    ("Poland", r"Poland"), ("Germany", r"Germany"), ("Romania", r"Romania"),
    ("Lithuania", r"Lithuania"), ("Latvia", r"Latvia"), ("Estonia", r"Estonia"),
    ("Slovakia", r"Slovakia"), ("Hungary", r"Hungary"), ("Bulgaria", r"Bulgaria"),
    ("Moldova", r"Moldova"), ("Transnistria", r"Transnistria"),
    ("Donbas", r"Donbas+"), ("Donetsk", r"Donetsk"), ("Luhansk", r"Luhansk|Lugansk"),
    ("Kharkiv", r"Kharkiv|Kharkov"), ("Kyiv", r"Kyiv|Kiev"), ("Chernihiv", r"Chernihiv"),
    ("Sumy", r"Sumy"), ("Mariupol", r"Mariupol"), ("Odesa", r"Odess?a"), ("Kherson", r"Kherson"),
    ("Sea of Azov", r"(?:the\s+)?Sea\s+of\s+Azov"), ("Black Sea", r"(?:the\s+)?Black\s+Sea"),
    ("Sevastopol", r"Sevastopol"), ("Yelnya", r"Yelnya|Yelnia|El'nya"),
    ("Voronezh", r"Voronezh"), ("Klintsy", r"Klintsy"), ("Lesnovka", r"Lesnovka"),
    ("Unecha", r"Unecha"), ("Klimovo", r"Klimovo"), ("Kursk", r"Kursk"),
    ("Pogonovo", r"Pogonovo"), ("Valuyki", r"Valuyki"), ("Soloti", r"Soloti"),
    ("Opuk", r"Opuk"), ("Dzhankoi", r"Dzhankoi|Dzhankoy|Dzhankoj"),
    ("Novoozerne", r"Novoozerne|Novoozernoye"), ("Bakhchysarai", r"Bakhchysarai|Bakhchisaray"),
    ("Belgorod", r"Belgorod"), ("Bryansk", r"Bryansk"), ("Smolensk", r"Smolensk"),
    ("Rostov", r"Rostov(?:-on-Don)?"), ("Boguchar", r"Boguchar"),
    ("Persianovsky", r"Persianovsk\w*"),
    ("Rechytsa", r"Rechitsa|Rechytsa"), ("Gomel", r"Gomel|Homel"), ("Mozyr", r"Mozyr"),
    ("Yelsk", r"Yelsk"), ("Brest", r"Brest"), ("Pripyat River", r"(?:the\s+)?Pripyat\s+[Rr]iver"),
    ("Chernobyl", r"Chernobyl"), ("Kaliningrad", r"Kaliningrad"),
)  # fmt: skip
PLACE_RX = tuple((name, re.compile(rf"(?<![\w-])(?:{rx})(?![\w-])")) for name, rx in PLACES)
# A place the list above does not know, by its shape: a capitalised name after a preposition of
# place ("at Rukla", "near the village of Parukh", "in the Syunik region", "outside Osipovichi").
_LOCATIVE = (
    r"(?:[Ii]n|[Nn]ear|[Aa]t|[Aa]round|[Oo]utside(?:\s+of)?|[Ii]nside|[Ii]nto|[Aa]cross|[Aa]long"
    r"|[Tt]owards?|[Cc]lose\s+to|[Nn]ext\s+to|(?:north|south|east|west)(?:-?(?:east|west))?\s+of"
    r"|(?:village|town|city|settlement|region|district|province|oblast)\s+of)"
)
_NAME = r"(?:[A-Z][a-z\u00e0-\u017f'\u2019]+(?:-[A-Za-z][a-z\u00e0-\u017f'\u2019]*)*)"
NAMED_PLACE = re.compile(
    rf"(?<![\w-]){_LOCATIVE}\s+(?:the\s+)?(?P<name>{_NAME}(?:\s+{_NAME}){{0,2}}"
    rf"(?:\s+of\s+(?:the\s+)?{_NAME}(?:\s+{_NAME})?)?)"  # "the Line of Actual Control"
    r"(?P<kind>\s+(?:region|oblast|district|province|governorate|airfield|air\s+base|airbase"
    r"|base|training\s+ground|range|garrison|peninsula|corridor))?(?![\w'\u2019-])"
)
# Capitalised words that are not places: times, bodies, outlets, peoples' adjectives.
NOT_A_PLACE = re.compile(
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Today|Tonight|The|This|That|These"
    r"|Those|His|Her|Their|Its|Our|Your|My|It|He|She|They|We|I|A|An|Some|All|Any|Each|Mr|Ms|Mrs"
    r"|Dr|President|Minister|General|Colonel|Spring|Summer|Autumn|Fall|Winter|North|South|East|West"
    r"|Northern|Southern|Eastern|Western|Central|Kremlin|Pentagon|White|Congress|Parliament|Senate"
    r"|Council|Ministry|Government|Twitter|Telegram|Facebook|Reuters|Interfax|God|English|Russian"
    r"|Ukrainian|Belarusian|American|British|European|Western|Soviet|Defence|Defense|Army|Navy"
    r"|Fleet|Forces|Command|Headquarters|Office|Department|Agency|Times|Post|News|Journal|Press"
    r"|Service|Security|Intelligence|Institute|Centre|Center|University|Committee|Alliance|Union"
    r"|Republic|Federation|Federal|State|States|Kingdom|Nations|Meanwhile|However|Also|Photo"
    r"|Image|Imagery|Satellite|Maxar|Planet|Update|Live|Video|Tass|Ria"
    # the two states of the main conflict: "near Ukraine" is the border, kept as "border"
    r"|Ukraine|Russia|Baltic|From|Footage|Videos?|Photos?|Pictures?|Reports?)\b"
    r"|(?:ian|ean|ese|ish)$"
)
# "moved troops into Belarus": a movement with a named destination deploys forces there
INTO_PLACE = re.compile(  # "into Belarus", "to an airfield in Belarus"
    r"\b(?:into|to)\s+(?:the\s+|(?:an?\s+|the\s+)?(?:[\w-]+\s+){1,3}?in\s+)?(?:"
    + "|".join(rx for _, rx in PLACES)
    + r")(?![\w-])"
)
BORDER = re.compile(r"\b(?:border|borders|frontier)\b|\b(?:near|around|bordering)\s+Ukraine\b", I)
REGION = re.compile(
    r"\b(?:(?:Southern|Western|Central|Eastern|Northern)(?:\s+and\s+(?:Southern|Western|Central"
    r"|Eastern|Northern))?\s+(?:military|Military)\s+(?:districts?|Districts?))"
    r"|\b(?:western|southern|northern|eastern|south-western|south-eastern)\s+"
    r"(?:Russia|Belarus|Ukraine)\b"
)
BAND = re.compile(
    r"(?:(?P<qual>less\s+than|under|within|up\s+to|about|some|around|roughly|more\s+than|over"
    r"|at\s+least|only|just)\s+)?(?:between\s+(?P<lo>\d+)\s+and\s+|(?P<lo2>\d+)\s*-\s*(?=\d))?"
    r"(?P<num>\d{1,3}(?:,\d{3})*"
    r"(?:\.\d+)?|(?<![\w-])(?:"
    + "|".join(w for w in sorted(NUMBER_WORDS, key=len, reverse=True) if " " not in w)
    + r"))\s*-?\s*(?P<unit>km|kilomet(?:re|er)s?|miles?)\b[^.;]{0,20}?\b(?:from|of)\s+"
    r"(?:the\s+)?(?:[\w']+\s+){0,2}(?:border|frontier)",
    I,
)

# --- page clutter ------------------------------------------------------------------------------
CLUTTER_LINE = re.compile(
    r"\b(?:cookies?|newsletters?|subscribe|subscription|sign\s+up|advert(?:isement)?s?"
    r"|sponsored|image\s+credit|photo(?:graph)?\s*credit|getty\s+images|please\s+use"
    r"|javascript|inbox|email\s+protected|all\s+rights\s+reserved|terms\s+of\s+(?:use|service)"
    r"|privacy\s+policy|follow\s+us\s+on|share\s+this|click\s+here|read\s+more:?)\b",
    I,
)
CLUTTER_MAX_CHARS = 250  # longer paragraphs are prose even if they mention a newsletter
LIST_HEADER = re.compile(
    r"^(?:articles\s+you\s+may\s+like|you\s+may\s+also\s+like|trending(?:\s+now)?|most\s+read"
    r"|more\s+(?:on|from)\b.*|read\s+more\b.*|related(?:\s+\w+)?|explore\s+more|recommended"
    r"|more\s+stories|latest\s+news|sponsored(?:\s+content)?|advert(?:isement)?)\s*:?$",
    I,
)
BYLINE = re.compile(
    r"\b(?:is|was)\s+an?\s+(?:staff\s+)?(?:writer|reporter|correspondent|editor)\b"
    r"|\bworked\s+at\b.*\bas\s+an?\b|\b(?:reporting|writing)\s+by\b"
    # "By Jane Smith, defence correspondent", not "By November, officials estimated ..."
    r"|^By\s+(?-i:[A-Z])(?!(?:[a-z]+day|January|February|March|April|May|June|July|August"
    r"|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|The"
    r"|Then|Now|Early|Late|Mid)\b)[^.!?]{0,100}$"
    r"|\bcontributed\s+to\s+this\s+report\b",
    I,
)
