"""The words the offline parser knows, as lookup tables: phrase (folded words) -> meaning.

English, Hindi in Latin letters and in Devanagari, and Kinyarwanda, as passengers type them:
the common misspellings and SMS short forms sit next to the word they stand for. Adding a
phrasing is adding a row here; `parser.py` holds the few rules that need context (numbers,
"next friday", "after 6 pm", which station is the origin).
"""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _rows(meaning, spellings: str) -> dict[tuple[str, ...], tuple]:
    """ "a|b c|d" -> {("a",): meaning, ("b", "c"): meaning, ("d",): meaning}."""
    return {tuple(spelling.split()): meaning for spelling in spellings.split("|")}


# --- Dates -------------------------------------------------------------------------------------

DAYS_AHEAD = {
    **_rows(("days", 0), "today|aaj|aj|आज|uyu munsi|uyumunsi|abhi|right now"),
    **_rows(
        ("days", 1),
        "tomorrow|tomorow|tommorow|tommorrow|tomorrw|tmrw|tmr|tmro|2morrow|2moro|tomorrows",
    ),
    **_rows(("days", 1), "kal|कल|ejo|kal ko|kl"),
    **_rows(
        ("days", 2),
        "day after tomorrow|day after tmrw|day after|overmorrow|parso|parson|parsoon|parsun|"
        "परसों|परसो|ejobundi|ejo bundi",
    ),
}
# "tonight" is today and also the evening, so it has a meaning of its own.
DAYS_AHEAD |= _rows(("tonight",), "tonight|tonite|aaj raat|आज रात")

WEEKDAYS = {
    0: "monday|mon|somvar|somwar|सोमवार|kuwa mbere|ku wa mbere",
    1: "tuesday|tue|tues|mangalvar|mangalwar|मंगलवार|kuwa kabiri|ku wa kabiri",
    2: "wednesday|wed|budhvar|budhwar|बुधवार|kuwa gatatu|ku wa gatatu",
    3: "thursday|thu|thur|thurs|guruvar|guruwar|गुरुवार|kuwa kane|ku wa kane",
    4: "friday|fri|shukravar|shukrawar|शुक्रवार|kuwa gatanu|ku wa gatanu",
    5: "saturday|sat|shanivar|shaniwar|शनिवार|kuwa gatandatu|ku wa gatandatu",
    6: "sunday|sun|ravivar|raviwar|itwar|रविवार|ku cyumweru|cyumweru",
}
# "this friday" and "coming friday" mean the plain weekday; "next friday" the next week's.
THIS_WORDS = ("this", "coming", "is", "iss", "on")
NEXT_WORDS = ("next", "agle", "agla", "गले", "अगले", "utaha")

WEEKENDS = {
    **_rows(("weekend", "coming"), "weekend|this weekend|the weekend|coming weekend|is weekend"),
    **_rows(("weekend", "next"), "next weekend|agle weekend|अगले वीकेंड"),
}

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan जनवरी",
            "february feb फरवरी",
            "march mar मार्च",
            "april apr अप्रैल",
            "may मई",
            "june jun जून",
            "july jul जुलाई",
            "august aug अगस्त",
            "september sep sept सितंबर सितम्बर",
            "october oct अक्टूबर",
            "november nov नवंबर नवम्बर",
            "december dec दिसंबर दिसम्बर",
        ),
        start=1,
    )
    for name in names.split()
}

# --- Time of day -------------------------------------------------------------------------------

# (after, before) as HH:MM in the origin's local time; None leaves that side open.
PARTS_OF_DAY = {
    **_rows(
        ("part", "05:00", "12:00"),
        "morning|mornin|morng|subah|subha|सुबह|mu gitondo|gitondo|early morning|in the morning",
    ),
    **_rows(("part", "12:00", "17:00"), "afternoon|dopahar|dopehar|दोपहर|ku manywa|noonish"),
    **_rows(
        ("part", "17:00", "21:00"),
        "evening|evng|eve|shaam|sham|शाम|nimugoroba|ku mugoroba|mu mugoroba|in the evening",
    ),
    **_rows(("part", "21:00", None), "night|nite|raat|rat|रात|nijoro|late night|overnight"),
}

# Words that put a clock time on one side: "after 6 pm", "before 10:00", "by 10am".
# "at 6" and "around 6" are when the passenger can leave, so from then on.
AFTER_WORDS = frozenset({"after", "aftr", "from", "past", "nyuma", "at", "around", "kuri"})
BEFORE_WORDS = frozenset({"before", "by", "until", "till", "untill", "latest", "mbere"})
MERIDIEMS = frozenset({"am", "pm", "a.m", "p.m"})
NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}

# --- Class, quota, sort ------------------------------------------------------------------------

CLASSES = {
    **_rows(("class", "SL"), "sleeper|sl|sleeper class|sleeper coach|slepper|sleepar|स्लीपर"),
    **_rows(
        ("class", "3A"),
        "3a|3ac|3 ac|3 a c|ac3|ac 3|third ac|3rd ac|3 tier|3 tier ac|ac 3 tier|3rd tier|"
        "third tier|three tier|thri ac",
    ),
    **_rows(
        ("class", "2A"),
        "2a|2ac|2 ac|ac2|ac 2|second ac|2nd ac|2 tier|2 tier ac|ac 2 tier|2nd tier|second tier|"
        "two tier",
    ),
    **_rows(
        ("class", "1A"),
        "1a|1ac|1 ac|ac1|ac 1|first ac|1st ac|first class|1st class|ac first class",
    ),
    **_rows(("class", "CC"), "chair car|cc|ac chair car|chaircar|chair|चेयर कार"),
    # The railway's English class names, written in Devanagari.
    **_rows(("class", "3A"), "थर्ड एसी|3 एसी|थ्री एसी"),
    **_rows(("class", "2A"), "सेकंड एसी|2 एसी|टू एसी"),
    **_rows(("class", "1A"), "फर्स्ट एसी|1 एसी|फर्स्ट क्लास"),
    **_rows(("class", "VIP"), "vip|vip bus|vip seat|vip class|वीआईपी"),
    **_rows(("class", "STANDARD"), "standard|normal seat|normal|ordinary|standard seat"),
    # "AC" alone is the railway's most booked AC class; a named class wins over it.
    **_rows(("ac",), "ac|a c|एसी"),
}

QUOTAS = {
    **_rows(("quota", "TATKAL"), "tatkal|tatkaal|tatkal quota|tatkaal quota|तत्काल|tatkal me"),
    **_rows(("quota", "LADIES"), "ladies|ladies quota|lady|mahila|mahila quota|महिला|लेडीज"),
    **_rows(
        ("quota", "SENIOR"),
        "senior|senior citizen|senior citizens|sr citizen|seniors|senior quota|buzurg|"
        "सीनियर|वरिष्ठ नागरिक",
    ),
    **_rows(
        ("quota", "FOREIGN_TOURIST"),
        "foreign tourist|foreign tourists|foreign tourist quota|foreigner|foreigners",
    ),
}

SORTS = {
    **_rows(
        ("sort", "cheapest"),
        "cheapest|cheap|cheaper|cheapst|cheepest|lowest fare|lowest price|low fare|low price|"
        "budget|least expensive|affordable|sasta|sasti|saste|sabse sasta|सस्ता|सस्ती|"
        "ihendutse",
    ),
    **_rows(
        ("sort", "fastest"),
        "fastest|fast|quickest|quick|shortest|shortest time|jaldi|jldi|जल्दी|sabse jaldi|vuba",
    ),
    **_rows(
        ("direct",),
        "direct|nonstop|non stop|non-stop|without change|without changing|no change|no changes|"
        "seedha|sidha|सीधा|direct train|direct bus",
    ),
}

# --- Passengers --------------------------------------------------------------------------------

NUMBER_WORDS = {
    **dict.fromkeys(("one", "ek", "एक", "imwe", "single"), 1),
    **dict.fromkeys(("two", "do", "दो", "babiri", "abiri", "ebyiri"), 2),
    **dict.fromkeys(("three", "teen", "tin", "तीन", "batatu", "atatu"), 3),
    **dict.fromkeys(("four", "char", "chaar", "चार", "bane", "ane"), 4),
    **dict.fromkeys(("five", "paanch", "panch", "पांच", "पाँच", "batanu", "atanu"), 5),
    **dict.fromkeys(("six", "chhe", "chhah", "che", "छह", "batandatu", "atandatu"), 6),
    **dict.fromkeys(("seven", "saat", "सात", "barindwi"), 7),
    **dict.fromkeys(("eight", "aath", "आठ", "umunani"), 8),
    **dict.fromkeys(("nine", "nau", "नौ"), 9),
    **dict.fromkeys(("ten", "das", "दस", "icumi"), 10),
}
# Number words that read as something else when alone ("do" is English, "che" and "tin"
# are ordinary words): they count only next to a passenger word.
WEAK_NUMBER_WORDS = frozenset({"do", "tin", "che", "ane", "single", "das", "nau", "one"})

# Words counted: "2 people", "teen log", "abantu babiri", "2 tkts".
PASSENGER_NOUNS = _words(
    "people peoples persons person pax adults adult tickets ticket tkts tkt tix seats seat "
    "passengers passenger psgr travellers travelers traveller traveler log logon logo jan "
    "members member ppl berths berth abantu itike amatike टिकट लोग yatri children child kids "
    "kid infants infant"
)
# Nouns that add up when several are given: "2 adults 1 child" is three passengers.
ADDING_NOUNS = frozenset({"adults", "adult", "children", "child", "kids", "kid", "infants"})
# "for 2", "x2", "hum do", "family of four": words a count follows.
COUNT_BEFORE = frozenset({"for", "x", "hum", "humlog", "abantu", "pax", "people", "persons"})

COMPANIONS = "mother|mom|mum|wife|husband|friend|son|daughter|brother|sister|father|dad|"
COMPANIONS += "mummy|papa|partner|girlfriend|boyfriend|colleague|mother in law|kid|child|baby"
PASSENGER_PHRASES = {
    **{
        tuple(f"{lead} {who}".split()): ("passengers", 2)
        for lead in ("me and my", "me and", "me with my", "with my", "me my", "me +")
        for who in COMPANIONS.split("|")
    },
    **{
        tuple(f"my {who} and {me}".split()): ("passengers", 2)
        for who in COMPANIONS.split("|")
        for me in ("i", "me", "myself")
    },
    **_rows(("passengers", 3), "me and my parents|me with my parents|with my parents|"),
    **_rows(("passengers", 2), "couple|a couple|two of us|us two|hum dono|dono|dono log|"),
    **_rows(
        ("passengers", 1),
        "just me|only me|alone|solo|myself|me alone|single person|akela|akeli|ndi jyenyine",
    ),
}
PASSENGER_PHRASES.pop((), None)

# --- Cues and noise ----------------------------------------------------------------------------

# Where a station sits in the trip, told by the word before it ("from X", "to Y") or after
# it (Hindi postpositions: "X se", "Y tak", "Y jana hai").
CUES = {
    **_rows(("cue", "from"), "from|frm|fr|kuva|leaving from|starting from|departing from"),
    **_rows(
        ("cue", "to"),
        "to|too|towards|toward|for|till|into|kugera|kujya|ujya|ijya|njya|i|going to|go to|"
        "travel to|heading to|headed to|bound for|upto|up to",
    ),
    **_rows(("cue", "se"), "se|से|sey"),
    **_rows(
        ("cue", "tak"),
        "tak|तक|jana hai|jaana hai|jana|jaana|जाना है|जाना|ko jana hai|ko jana|ko|को|"
        "jane ke liye|ke liye|ke lie|ki taraf",
    ),
}
# The "2" of "dilli 2 howrah" (SMS for "to") is a cue only between two stations, which
# only `parser.parse` knows; elsewhere a "2" is a count.

NOISE = _rows(
    ("noise",),
    "bus|buses|bas|bisi|imodoka|coach|train|trains|rail|railway|gari|gaadi|ट्रेन|बस|"
    "matatu|shuttle|minibus|taxi|whats|way|route|"
    # "New" of "New Delhi" in Hindi: दिल्ली alone is the station.
    "nai|नई|नयी|"
    "ticket|tickets|tkt|tkts|itike|amatike|टिकट|book|booking|reserve|reservation|"
    "find|find me|show|show me|search|get|get me|give me|i want|i need|i wanna|want|need|"
    "wanna|looking for|i am looking for|looking|please|pls|plz|kindly|can you|could you|"
    "chahiye|chaiye|chahie|chahiye tha|चाहिए|mujhe|muje|mjhe|मुझे|humein|hume|hamein|"
    "ndashaka|nshaka|ndifuza|nkeneye|mwaramutse|muraho|hi|hello|hey|"
    "a|an|the|on|at|in|of|and|or|my|me|i|im|ive|is|are|am|any|some|there|trip|trips|travel|"
    "this|coming|"
    "journey|go|going|leave|leaving|depart|departing|departure|ride|one way|oneway|seat|seats|"
    "hai|है|ka|ki|ke|का|की|के|mein|में|wala|wali|wale|koi|bhi|aur|और|liye|लिए|lena|leni|"
    "karna|"
    "karo|kar|kar do|karwa do|dena|dijiye|de do|mil|milega|jayega|ho|hoga|"
    "ya|na|kuri|ku|mu|yo|yose|cyangwa|itike ya|ya|"
    "quota|class|coach|berth|on the|in the|for the|with|date|time|"
    "asap|now|urgent|thanks|thank you|thx|help|bhai|sir|madam|bro|yaar|ji|kindly book|"
    "what|which|when|how|available|availability|options|option|schedule|timings|timing|"
    "fare|fares|price|prices|cost|ticket price|do you have|have|has|do|will|would|can|"
    # Time words whose clock time is missing ("after lunch" is not understood either way).
    "after|before|by|until|around|about|approx|baje|o clock|oclock|clock|bje",
)
