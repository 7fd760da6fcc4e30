"""The demo's data (`fleet.demo` loads it): the operators (an Indian railway in rupees, two
Rwandan coach companies in francs, a Nairobi matatu operator in shillings), their stations,
trains, buses, routes, drivers and staff, written for this project. Coordinates are the
towns' and stops' real ones; distances and times are the roads' (rounded)."""

from ttms.accounts.models import Role

from .models import ALL_DAYS, Company, SeatLayout, Weekday

DEMO_DAYS = 14
# Minutes a bus and its driver need between arriving and leaving again.
TURNAROUND_MINUTES = 30

RAIL = {
    "slug": "indian-railways",
    "name": "Indian Railways",
    "kind": Company.Kind.RAIL,
    "time_zone": "Asia/Kolkata",
    "currency": "INR",
    "refund_policy": Company.RefundPolicy.IRCTC2015,
}
# Sells LADIES seats too (a few per coach, earmarked), to show the setting on a bus.
BUS = {
    "slug": "rwanda-intercity",
    "name": "Rwanda Intercity Coaches (demo)",
    "kind": Company.Kind.BUS,
    "time_zone": "Africa/Kigali",
    "currency": "RWF",
    "quotas": ["GENERAL", "LADIES"],
    "quota_distribution": {"STANDARD": {"LADIES": 4}, "VIP": {"LADIES": 3}},
    "refund_policy": Company.RefundPolicy.TIERED,
}
# Bus defaults (GENERAL only, no waiting list); a swap to a bus without a class sold
# upgrades its passengers.
VIRUNGA = {
    "slug": "virunga-express",
    "name": "Virunga Express (demo)",
    "kind": Company.Kind.BUS,
    "time_zone": "Africa/Kigali",
    "currency": "RWF",
    "swap_upgrades": True,
    "refund_policy": Company.RefundPolicy.FLAT80,
}
MATATU = {
    "slug": "nairobi-metro-shuttle",
    "name": "Nairobi Metro Shuttle (demo)",
    "kind": Company.Kind.BUS,
    "time_zone": "Africa/Nairobi",
    "currency": "KES",
    "max_passengers": 4,
    "refund_policy": Company.RefundPolicy.FLAT80,
}

# code, name, latitude, longitude, region, aliases (renamed stations keep their old code in
# the 2017 timetable: ALD is now Prayagraj Jn PRYJ, MGS is Pt. Deen Dayal Upadhyaya Jn DDU).
RAIL_STATIONS = [
    ("NDLS", "New Delhi", 28.6429, 77.2191, "Delhi", ["Delhi"]),
    ("CNB", "Kanpur Central", 26.4538, 80.3515, "Uttar Pradesh", ["Cawnpore"]),
    ("ALD", "Allahabad Jn", 25.4449, 81.8246, "Uttar Pradesh", ["Prayagraj Jn", "PRYJ"]),
    (
        "MGS",
        "Mughal Sarai Jn",
        25.2819,
        83.1197,
        "Uttar Pradesh",
        ["Pt. Deen Dayal Upadhyaya Jn", "DDU"],
    ),
    ("GAYA", "Gaya Jn", 24.8016, 84.9994, "Bihar", []),
    ("DHN", "Dhanbad Jn", 23.7920, 86.4294, "Jharkhand", []),
    ("HWH", "Howrah Jn", 22.5839, 88.3425, "West Bengal", ["Kolkata", "Calcutta"]),
    ("KOTA", "Kota Jn", 25.2275, 75.8817, "Rajasthan", []),
    ("RTM", "Ratlam Jn", 23.3405, 75.0455, "Madhya Pradesh", []),
    ("BRC", "Vadodara Jn", 22.3104, 73.1812, "Gujarat", ["Baroda"]),
    ("ST", "Surat", 21.2056, 72.8403, "Gujarat", []),
    ("BCT", "Mumbai Central", 18.9696, 72.8196, "Maharashtra", ["Bombay Central"]),
    ("MAS", "Chennai Central", 13.0827, 80.2750, "Tamil Nadu", ["Madras Central"]),
    ("KPD", "Katpadi Jn", 12.9718, 79.1378, "Tamil Nadu", ["Vellore"]),
    ("SBC", "KSR Bengaluru City", 12.9780, 77.5697, "Karnataka", ["Bangalore City"]),
    ("MYS", "Mysuru Jn", 12.3164, 76.6456, "Karnataka", ["Mysore"]),
]

EXCEPT_WEDNESDAY = ALL_DAYS & ~Weekday.WEDNESDAY

# number, name, departure, days, coaches (code, class), stops (code, km, arrival, departure
# as minutes after the first departure).
RAIL_TRAINS = [
    (
        "12302",
        "New Delhi–Howrah Rajdhani Express",
        "16:55",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("A2", "2A"), ("B1", "3A"), ("B2", "3A"), ("B3", "3A")],
        [
            ("NDLS", 0, None, 0),
            ("CNB", 440, 280, 285),
            ("ALD", 634, 415, 417),
            ("MGS", 787, 543, 553),
            ("GAYA", 990, 661, 663),
            ("DHN", 1187, 803, 808),
            ("HWH", 1451, 1020, None),
        ],
    ),
    (
        "12301",
        "Howrah–New Delhi Rajdhani Express",
        "16:50",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("A2", "2A"), ("B1", "3A"), ("B2", "3A"), ("B3", "3A")],
        [
            ("HWH", 0, None, 0),
            ("DHN", 264, 197, 202),
            ("GAYA", 461, 335, 338),
            ("MGS", 664, 465, 475),
            ("ALD", 817, 584, 586),
            ("CNB", 1011, 709, 714),
            ("NDLS", 1451, 1030, None),
        ],
    ),
    (
        "12952",
        "Mumbai Rajdhani Express",
        "16:55",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("B1", "3A"), ("B2", "3A")],
        [
            ("NDLS", 0, None, 0),
            ("KOTA", 465, 275, 285),
            ("RTM", 731, 460, 463),
            ("BRC", 991, 677, 687),
            ("ST", 1120, 778, 780),
            ("BCT", 1386, 940, None),
        ],
    ),
    (
        "12951",
        "Mumbai Rajdhani Express",
        "17:00",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("B1", "3A"), ("B2", "3A")],
        [
            ("BCT", 0, None, 0),
            ("ST", 263, 158, 163),
            ("BRC", 392, 236, 246),
            ("RTM", 652, 445, 448),
            ("KOTA", 918, 630, 640),
            ("NDLS", 1386, 932, None),
        ],
    ),
    (
        "12007",
        "Chennai–Mysuru Shatabdi Express",
        "06:00",
        EXCEPT_WEDNESDAY,
        [("C1", "CC"), ("C2", "CC"), ("C3", "CC")],
        [
            ("MAS", 0, None, 0),
            ("KPD", 130, 83, 85),
            ("SBC", 359, 295, 300),
            ("MYS", 497, 420, None),
        ],
    ),
    (
        "12008",
        "Mysuru–Chennai Shatabdi Express",
        "14:15",
        EXCEPT_WEDNESDAY,
        [("C1", "CC"), ("C2", "CC"), ("C3", "CC")],
        [
            ("MYS", 0, None, 0),
            ("SBC", 138, 125, 135),
            ("KPD", 367, 311, 313),
            ("MAS", 497, 430, None),
        ],
    ),
]

RAIL_LAYOUTS = {
    "1A": SeatLayout.Kind.AC1,
    "2A": SeatLayout.Kind.AC2_48,
    "3A": SeatLayout.Kind.AC3,
    "CC": SeatLayout.Kind.CC,
}

BUS_STATIONS = [
    ("RW-NYB", "Kigali Nyabugogo Bus Park", -1.9393, 30.0445, "Kigali", ["Kigali", "Nyabugogo"]),
    ("RW-SHY", "Shyorongi", -1.8760, 30.0420, "Rulindo", []),
    ("RW-BAS", "Base", -1.7050, 29.9750, "Rulindo", ["Rulindo"]),
    ("RW-MUS", "Musanze", -1.4998, 29.6344, "Musanze", ["Ruhengeri"]),
    ("RW-MUK", "Mukamira", -1.6030, 29.5460, "Nyabihu", []),
    ("RW-RUB", "Rubavu", -1.7033, 29.2565, "Rubavu", ["Gisenyi"]),
    ("RW-KAM", "Kamonyi", -1.9890, 29.9600, "Kamonyi", ["Runda"]),
    ("RW-MUH", "Muhanga", -2.0845, 29.7566, "Muhanga", ["Gitarama"]),
    ("RW-RUH", "Ruhango", -2.2167, 29.7833, "Ruhango", []),
    ("RW-NYZ", "Nyanza", -2.3518, 29.7509, "Nyanza", []),
    ("RW-HUY", "Huye", -2.5967, 29.7394, "Huye", ["Butare"]),
]

# Kigali – Huye – Nyamagabe – Rusizi (Virunga Express's own stops).
VIRUNGA_STATIONS = [
    ("RW-NYM", "Nyamagabe", -2.4782, 29.5673, "Nyamagabe", ["Gikongoro"]),
    ("RW-RSZ", "Rusizi (Kamembe)", -2.4846, 28.9075, "Rusizi", ["Kamembe", "Cyangugu"]),
]

# Nairobi: the CBD terminus and the stops of two matatu corridors.
MATATU_STATIONS = [
    (
        "KE-ODN",
        "Nairobi CBD (Odeon)",
        -1.2833,
        36.8260,
        "Nairobi",
        ["Nairobi", "CBD", "Odeon", "Ambassadeur"],
    ),
    ("KE-WLD", "Westlands", -1.2676, 36.8108, "Nairobi", []),
    ("KE-KGM", "Kangemi", -1.2663, 36.7446, "Nairobi", []),
    ("KE-RSB", "Roysambu (TRM)", -1.2186, 36.8889, "Nairobi", ["Thika Road Mall", "TRM"]),
    ("KE-GTH", "Githurai 45", -1.1990, 36.9160, "Kiambu", ["Githurai"]),
    ("KE-JUJ", "Juja", -1.1024, 37.0135, "Kiambu", []),
    ("KE-THK", "Thika", -1.0388, 37.0834, "Kiambu", []),
]

# code, name, class, layout kind, rows
BUSES = [
    ("RAD 101 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 102 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 103 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 104 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 105 A", "Scania Touring VIP (2+1)", "VIP", SeatLayout.Kind.BUS_2_1, 10),
    ("RAD 106 A", "Scania Touring VIP (2+1)", "VIP", SeatLayout.Kind.BUS_2_1, 10),
    ("RAD 107 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 108 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 109 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 110 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
]
VIRUNGA_BUSES = [
    ("RAE 201 B", "King Long XMQ6900 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 9),
    ("RAE 202 B", "King Long XMQ6900 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 9),
    ("RAE 203 B", "King Long XMQ6900 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 9),
    ("RAE 204 B", "King Long XMQ6900 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 9),
    ("RAE 205 B", "King Long XMQ6900 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 9),
    ("RAE 206 B", "King Long XMQ6900 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 9),
    ("RAE 207 B", "Higer KLQ6129 VIP (2+1)", "VIP", SeatLayout.Kind.BUS_2_1, 10),
]
MATATUS = [
    ("KDA 101A", "Toyota Coaster matatu (33)", "STANDARD", SeatLayout.Kind.COASTER, 11),
    ("KDA 102A", "Toyota Coaster matatu (33)", "STANDARD", SeatLayout.Kind.COASTER, 11),
    ("KDA 103A", "Toyota Coaster matatu (33)", "STANDARD", SeatLayout.Kind.COASTER, 11),
    ("KDB 104B", "Isuzu NQR matatu (33)", "STANDARD", SeatLayout.Kind.COASTER, 11),
    ("KDB 105B", "Toyota Coaster matatu (30)", "STANDARD", SeatLayout.Kind.COASTER, 10),
    ("KDB 106B", "Toyota Coaster matatu (30)", "STANDARD", SeatLayout.Kind.COASTER, 10),
]

_NORTH = [
    ("RW-NYB", 0),
    ("RW-SHY", 17),
    ("RW-BAS", 45),
    ("RW-MUS", 94),
    ("RW-MUK", 117),
    ("RW-RUB", 155),
]
_SOUTH = [
    ("RW-NYB", 0),
    ("RW-KAM", 23),
    ("RW-MUH", 50),
    ("RW-RUH", 77),
    ("RW-NYZ", 95),
    ("RW-HUY", 135),
]
# Minutes from the first departure to each later stop (arrival; departure 2 minutes later,
# 10 at Musanze and Muhanga where passengers change and drivers rest).
_NORTH_TIMES = [25, 60, 120, 155, 200]
_SOUTH_TIMES = [35, 65, 105, 125, 170]


def _bus_stops(path, times, long_halt):
    km_total = path[-1][1]
    stops = [(path[0][0], 0, None, 0)]
    for (code, km), arrival in zip(path[1:-1], times[:-1], strict=True):
        stops.append((code, km, arrival, arrival + (10 if code == long_halt else 2)))
    stops.append((path[-1][0], km_total, times[-1], None))
    return stops


def _reverse(path, times, long_halt):
    total_km, total_time = path[-1][1], times[-1]
    back = [(code, total_km - km) for code, km in reversed(path)]
    arrivals = [total_time - t for t in reversed([0, *times[:-1]])]
    return _bus_stops(back, arrivals, long_halt)


BUS_ROUTES = [
    (
        "RIC-101",
        "101",
        "Kigali – Musanze – Rubavu",
        "06:00 08:00 10:00 12:00 14:00 16:00",
        "RAD 101 A",
        _bus_stops(_NORTH, _NORTH_TIMES, "RW-MUS"),
    ),
    (
        "RIC-102",
        "102",
        "Rubavu – Musanze – Kigali",
        "06:00 08:00 10:00 12:00 14:00 16:00",
        "RAD 102 A",
        _reverse(_NORTH, _NORTH_TIMES, "RW-MUS"),
    ),
    (
        "RIC-201",
        "201",
        "Kigali – Muhanga – Huye",
        "06:30 09:30 12:30 15:30",
        "RAD 103 A",
        _bus_stops(_SOUTH, _SOUTH_TIMES, "RW-MUH"),
    ),
    (
        "RIC-202",
        "202",
        "Huye – Muhanga – Kigali",
        "06:30 09:30 12:30 15:30",
        "RAD 104 A",
        _reverse(_SOUTH, _SOUTH_TIMES, "RW-MUH"),
    ),
]

# Kigali to Rubavu with one stop at Musanze (VIP), and Kigali to Rusizi over the Nyungwe
# forest road.
_NORTH_EXPRESS = [("RW-NYB", 0), ("RW-MUS", 94), ("RW-RUB", 155)]
_NORTH_EXPRESS_TIMES = [110, 180]
_WEST = [("RW-NYB", 0), ("RW-MUH", 50), ("RW-HUY", 135), ("RW-NYM", 163), ("RW-RSZ", 288)]
_WEST_TIMES = [65, 170, 210, 390]

BUS_ROUTES += [
    (
        "RIC-103",
        "103",
        "Kigali – Rubavu VIP",
        "07:00 15:00",
        "RAD 105 A",
        _bus_stops(_NORTH_EXPRESS, _NORTH_EXPRESS_TIMES, "RW-MUS"),
    ),
    (
        "RIC-104",
        "104",
        "Rubavu – Kigali VIP",
        "07:00 15:00",
        "RAD 106 A",
        _reverse(_NORTH_EXPRESS, _NORTH_EXPRESS_TIMES, "RW-MUS"),
    ),
]

VIRUNGA_ROUTES = [
    (
        "VEX-301",
        "301",
        "Kigali – Musanze – Rubavu",
        "07:00 10:00 13:00 16:00",
        "RAE 201 B",
        _bus_stops(_NORTH, _NORTH_TIMES, "RW-MUS"),
    ),
    (
        "VEX-302",
        "302",
        "Rubavu – Musanze – Kigali",
        "07:00 10:00 13:00 16:00",
        "RAE 202 B",
        _reverse(_NORTH, _NORTH_TIMES, "RW-MUS"),
    ),
    (
        "VEX-401",
        "401",
        "Kigali – Huye – Rusizi",
        "06:00 13:00",
        "RAE 203 B",
        _bus_stops(_WEST, _WEST_TIMES, "RW-HUY"),
    ),
    (
        "VEX-402",
        "402",
        "Rusizi – Huye – Kigali",
        "06:00 13:00",
        "RAE 204 B",
        _reverse(_WEST, _WEST_TIMES, "RW-HUY"),
    ),
]

_KANGEMI = [("KE-ODN", 0), ("KE-WLD", 4), ("KE-KGM", 9)]
_KANGEMI_TIMES = [15, 35]
_THIKA = [("KE-ODN", 0), ("KE-RSB", 10), ("KE-GTH", 14), ("KE-JUJ", 30), ("KE-THK", 42)]
_THIKA_TIMES = [25, 35, 55, 75]
_EVERY_TWO_HOURS = "06:00 08:00 10:00 12:00 14:00 16:00 18:00"

MATATU_ROUTES = [
    (
        "NMS-23",
        "23",
        "CBD (Odeon) – Westlands – Kangemi",
        _EVERY_TWO_HOURS,
        "KDB 105B",
        _bus_stops(_KANGEMI, _KANGEMI_TIMES, ""),
    ),
    (
        "NMS-23R",
        "23R",
        "Kangemi – Westlands – CBD (Odeon)",
        _EVERY_TWO_HOURS,
        "KDB 106B",
        _reverse(_KANGEMI, _KANGEMI_TIMES, ""),
    ),
    (
        "NMS-237",
        "237",
        "CBD (Odeon) – Thika Road – Thika",
        _EVERY_TWO_HOURS,
        "KDA 101A",
        _bus_stops(_THIKA, _THIKA_TIMES, ""),
    ),
    (
        "NMS-237R",
        "237R",
        "Thika – Thika Road – CBD (Odeon)",
        _EVERY_TWO_HOURS,
        "KDA 102A",
        _reverse(_THIKA, _THIKA_TIMES, ""),
    ),
]

DRIVERS = [
    ("driver@example.com", "Dev Driver"),
    ("jean.habimana@example.com", "Jean Bosco Habimana"),
    ("aline.uwase@example.com", "Aline Uwase"),
    ("eric.niyonzima@example.com", "Eric Niyonzima"),
    ("claudine.mukamana@example.com", "Claudine Mukamana"),
    ("patrick.nshimiyimana@example.com", "Patrick Nshimiyimana"),
    ("olivier.hakizimana@example.com", "Olivier Hakizimana"),
    ("diane.uwimana@example.com", "Diane Uwimana"),
    ("emmanuel.ndayisaba@example.com", "Emmanuel Ndayisaba"),
    ("grace.ingabire@example.com", "Grace Ingabire"),
]
VIRUNGA_DRIVERS = [
    ("theoneste.bizimana@example.com", "Théoneste Bizimana"),
    ("vestine.mukeshimana@example.com", "Vestine Mukeshimana"),
    ("innocent.tuyishime@example.com", "Innocent Tuyishime"),
    ("solange.umutoni@example.com", "Solange Umutoni"),
    ("jean.paul.mugisha@example.com", "Jean Paul Mugisha"),
    ("alice.nyiraneza@example.com", "Alice Nyiraneza"),
]
MATATU_DRIVERS = [
    ("john.kamau@example.com", "John Kamau"),
    ("mary.wanjiku@example.com", "Mary Wanjiku"),
    ("peter.otieno@example.com", "Peter Otieno"),
    ("faith.achieng@example.com", "Faith Achieng"),
    ("samuel.mwangi@example.com", "Samuel Mwangi"),
]

# The bus operators, each with its stations (owned by it; stations another already made
# are shared), buses, routes and drivers.
BUS_OPERATORS = [
    (BUS, BUS_STATIONS, BUSES, BUS_ROUTES, DRIVERS),
    (VIRUNGA, VIRUNGA_STATIONS, VIRUNGA_BUSES, VIRUNGA_ROUTES, VIRUNGA_DRIVERS),
    (MATATU, MATATU_STATIONS, MATATUS, MATATU_ROUTES, MATATU_DRIVERS),
]

# Accounts of the accounts demo that work for a demo company.
STAFF = [
    ("company@example.com", "bus", Role.COMPANY_ADMIN),
    ("scheduler@example.com", "rail", Role.SCHEDULER),
    ("agent@example.com", "bus", Role.AGENT),
]
