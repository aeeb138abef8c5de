"""Which words of a text name a country, for questions that ask "which country".

The country names come from ISO 3166 (pycountry): official, common and short names. News
writes countries in ways the standard does not list ("Russia", "Britain", "U.S.") and often
only by their adjective ("the Georgian government", "Afghan refugees"); those are the two
small tables below. Names are matched as written, capitalised: "turkey" and "chad" are not
countries, "Turkey" and "Chad" are."""

from __future__ import annotations

import functools
import re

import pycountry

# How news names a country where ISO 3166 says it otherwise: name as written → ISO short name.
NEWS_NAMES = {
    "Russia": "Russian Federation", "Britain": "United Kingdom", "Great Britain": "United Kingdom",
    "UK": "United Kingdom", "U.K.": "United Kingdom", "US": "United States", "U.S.": "United States",
    "USA": "United States", "U.S.A.": "United States", "America": "United States", "Turkey": "Türkiye",
    "Burma": "Myanmar", "Ivory Coast": "Côte d'Ivoire", "Czech Republic": "Czechia", "Macedonia": "North Macedonia",
    "Swaziland": "Eswatini", "Cape Verde": "Cabo Verde", "East Timor": "Timor-Leste", "Vatican": "Holy See (Vatican City State)",
    "DRC": "Congo, The Democratic Republic of the", "Palestine": "Palestine, State of",
    "Kosovo": "Kosovo",  # not in ISO 3166-1, but a country in the news
    "Korea": "Korea, Republic of",  # ISO has two "Korea, …"; alone, news means the South
}
# Adjectives of nationality as news uses them: adjective → ISO short name.
ADJECTIVES = {
    "Afghan": "Afghanistan", "British": "United Kingdom", "American": "United States", "French": "France",
    "Dutch": "Netherlands", "Swiss": "Switzerland", "Turkish": "Türkiye", "Greek": "Greece", "Spanish": "Spain",
    "Polish": "Poland", "Danish": "Denmark", "Swedish": "Sweden", "Finnish": "Finland", "Norwegian": "Norway",
    "Filipino": "Philippines", "Philippine": "Philippines", "Thai": "Thailand", "Irish": "Ireland",
    "Belgian": "Belgium", "Peruvian": "Peru", "Portuguese": "Portugal", "Emirati": "United Arab Emirates",
    "Yemeni": "Yemen", "Saudi": "Saudi Arabia", "Kuwaiti": "Kuwait", "Qatari": "Qatar", "Omani": "Oman",
    "Bahraini": "Bahrain", "Lebanese": "Lebanon", "Sudanese": "Sudan", "Malagasy": "Madagascar",
    "Burmese": "Myanmar", "Vietnamese": "Viet Nam", "Lao": "Lao People's Democratic Republic", "Kyrgyz": "Kyrgyzstan",
    "Uzbek": "Uzbekistan", "Kazakh": "Kazakhstan", "Tajik": "Tajikistan", "Turkmen": "Turkmenistan",
    "Pakistani": "Pakistan", "Bangladeshi": "Bangladesh", "Nepali": "Nepal", "Nepalese": "Nepal",
    "Sri Lankan": "Sri Lanka", "Welsh": "United Kingdom", "Scottish": "United Kingdom", "Icelandic": "Iceland",
    "Cypriot": "Cyprus", "Maltese": "Malta", "Croatian": "Croatia", "Slovak": "Slovakia", "Czech": "Czechia",
    "Hungarian": "Hungary", "Romanian": "Romania", "Bulgarian": "Bulgaria", "Serbian": "Serbia",
    "Bosnian": "Bosnia and Herzegovina", "Albanian": "Albania", "Lithuanian": "Lithuania", "Latvian": "Latvia",
    "Estonian": "Estonia", "Moldovan": "Moldova, Republic of", "Ukrainian": "Ukraine", "Belarusian": "Belarus",
    "Israeli": "Israel", "Palestinian": "Palestine, State of", "Iraqi": "Iraq", "Iranian": "Iran, Islamic Republic of",
    "Syrian": "Syrian Arab Republic", "Egyptian": "Egypt", "Libyan": "Libya", "Tunisian": "Tunisia",
    "Moroccan": "Morocco", "Algerian": "Algeria", "Ethiopian": "Ethiopia", "Eritrean": "Eritrea",
    "Somali": "Somalia", "Kenyan": "Kenya", "Ugandan": "Uganda", "Rwandan": "Rwanda", "Nigerian": "Nigeria",
    "Nigerien": "Niger", "Malian": "Mali", "Chadian": "Chad", "Ghanaian": "Ghana", "Congolese": "Congo",
    "Zimbabwean": "Zimbabwe", "Mozambican": "Mozambique", "South African": "South Africa",
    "North Korean": "Korea, Democratic People's Republic of", "South Korean": "Korea, Republic of",
    "Korean": "Korea, Republic of", "Taiwanese": "Taiwan, Province of China", "Chinese": "China",
    "Japanese": "Japan", "Mongolian": "Mongolia", "Indian": "India", "Indonesian": "Indonesia",
    "Malaysian": "Malaysia", "Singaporean": "Singapore", "Cambodian": "Cambodia", "Australian": "Australia",
    "New Zealander": "New Zealand", "Canadian": "Canada", "Mexican": "Mexico", "Cuban": "Cuba",
    "Haitian": "Haiti", "Dominican": "Dominican Republic", "Guatemalan": "Guatemala", "Honduran": "Honduras",
    "Salvadoran": "El Salvador", "Nicaraguan": "Nicaragua", "Costa Rican": "Costa Rica", "Panamanian": "Panama",
    "Colombian": "Colombia", "Venezuelan": "Venezuela, Bolivarian Republic of", "Ecuadorian": "Ecuador",
    "Bolivian": "Bolivia, Plurinational State of", "Chilean": "Chile", "Argentine": "Argentina",
    "Argentinian": "Argentina", "Brazilian": "Brazil", "Uruguayan": "Uruguay", "Paraguayan": "Paraguay",
    "German": "Germany", "Italian": "Italy", "Austrian": "Austria", "Slovenian": "Slovenia",
    "Montenegrin": "Montenegro", "Macedonian": "North Macedonia", "Georgian": "Georgia", "Armenian": "Armenia",
    "Azerbaijani": "Azerbaijan", "Azeri": "Azerbaijan", "Russian": "Russian Federation", "Jordanian": "Jordan",
}


@functools.lru_cache(maxsize=4096)  # a candidate sentence is read for background and for the answer kind
def countries_stated(text: str, *, any_case: bool = False) -> frozenset[str]:
    """The countries ``text`` names, as ISO short names ("Georgia", "Russian Federation"), by
    name or adjective, capitalised as names are ("Georgian" counts; "turkey" the bird does not).
    ``any_case`` is for questions typed in chat ("did georgia help"), where only the
    all-capitals abbreviations still need their capitals ("us" is not "US")."""
    written_as = _country_of()
    pattern = _any_case_pattern() if any_case else _pattern()
    return frozenset(written_as.get(m.group(0)) or written_as[m.group(0).casefold()] for m in pattern.finditer(text))


@functools.lru_cache(maxsize=1)
def _country_of() -> dict[str, str]:
    """Every way of writing a country, folded to lower case (but "US", which is also "us")."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            written = getattr(country, attribute, None)
            if written:
                names[written] = country.name
                # "Korea, Republic of" is written "Republic of Korea"; "Bolivia, …" just "Bolivia".
                if ", " in written:
                    names[written.split(", ")[0]] = country.name
    names |= NEWS_NAMES | ADJECTIVES
    return {(w if w.isupper() or "." in w else w.casefold()): country for w, country in names.items()}


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    written = sorted(_country_of(), key=len, reverse=True)
    # Capitalised as a name, matched whole; longest first so "South Sudan" is not "Sudan".
    alternatives = "|".join(re.escape(w) if w.isupper() or "." in w else _capitalised(w) for w in written)
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])")


@functools.lru_cache(maxsize=1)
def _any_case_pattern() -> re.Pattern:
    written = sorted((w for w in _country_of() if not (w.isupper() or "." in w)), key=len, reverse=True)
    return re.compile(rf"(?<![\w.])(?:{'|'.join(map(re.escape, written))})(?![\w])", re.IGNORECASE)


def _capitalised(lower: str) -> str:
    """A regex for ``lower`` written as a name: each word's first letter upper case ("of", "the"
    and "and" as they come)."""
    parts = []
    for word in re.split(r"(\W+)", lower):
        if len(word) > 1 and word[0].isalpha() and word not in ("of", "the", "and", "da"):
            parts.append(f"[{word[0].upper()}]{re.escape(word[1:])}")
        else:
            parts.append(re.escape(word))
    return "".join(parts)
