#!/usr/bin/env python3
"""Extracts Västerås stad 2017's texts per area from the seed report's text.

Usage: extract_vasteras_texts.py SEED.txt > vasteras-2017-texts.json

SEED.txt is the extracted text of SKL's "KommunKompassen: Analys av Västerås
stad, mars 2017" (shared/seed/000_380d571f3112e2c3.txt in the project's
material). For each of the eight areas it takes, from section 3 of the report:

- general:      the framework's "Allmänt" text, as printed in this report;
- summary:      the team's "Sammanfattning";
- strengths:    "Styrkor";
- improvements: "Förbättringsmöjligheter".

The text extraction runs the report's two columns of strengths and
improvement opportunities together, row by row. Where one item ends and
which column it belongs to cannot be recovered mechanically, so the split is
written down below (ITEMS), read from the layout and the wording (strengths
are findings, improvements mostly start with a verb: "Fortsätt", "Utveckla",
"Tydliggör"). The script checks that the items cover the seed's run exactly,
word for word, each used once, so nothing is lost, added or reordered within
an item. Page headers and page-break hyphenation are removed, and the few
extraction artefacts in FIXES are mended; nothing else is changed.
"""
import json
import os
import re
import sys

PAGE_HEADER = re.compile(r"\n\nSveriges Kommuner och Landsting 2017-09-30 \d+ \(24\) ")
RUN_START = "STYRKOR FÖRBÄTTRINGSMÖJLIGHETER "

# Artefacts of the text extraction (a lost space, a line-break hyphen).
FIXES = [
    ("synpunkteroch", "synpunkter och"),
    ("e- tjänster", "e-tjänster"),
]

# (strengths, improvements) per area, in the order the report lists them.
ITEMS = {
    1: (
        [
            "Övergripande strategi och mål kring demokratiutveckling",
            "Övergripande kommunikationspolicy och verksamhetsplan Kommunikation utan gränser "
            "Vår gemensamma kompassriktning",
            "Dagordningar, handlingar och protokoll tillgängliga på webben",
            "Webbsändning av KF",
            "Socialmedier för spridning av information till medborgarna",
            "Återkommande undersökningar för att fånga upp medborgarnas åsikter om kommunen",
            "Kommunövergripande strategi för att motverka korruption och rutiner för att anmäla "
            "och framföra uppgifter om oegentligheter både internt och från medborgarna",
        ],
        [
            "Fortsätta att utveckla olika populärversioner av handlingar och annan information "
            "och sprida dessa aktivt till medborgarna",
            "Utveckla diskussionen och dialogen med medborgarna kring verksamhetsresultat",
            "Utveckla dialogen i användandet av sociala medier",
            "Tydliggör och förenkla jämförande resultatredovisningar utifrån ett "
            "medborgarperspektiv",
        ],
    ),
    2: (
        [
            "Alltid bästa möjliga möte genomsyrar hela organisationen och ingår som del i "
            "stadens värdegrund",
            "Indikatorer som mäter tillgänglighet och bemötande",
            "Jämför service",
            "Kontaktcenter",
            "Systematiskt arbete med brukarundersökningar och jämförelser av resultat mellan "
            "olika verksamheter",
        ],
        [
            "Fortsätt utveckla redovisningen av olika brukarundersökningar på webben och i andra "
            "informationskanaler",
            "Fler belöningssystem för god tillgänglighet och ett gott bemötande",
            "Fortsätt att utforska fler metoder och sätt att fånga upp brukarnas synpunkter",
            "Återkoppling av inkomna synpunkter och klagomål",
        ],
    ),
    3: (
        [
            "Ny tydlig styrmodellen (styrkort och strategiska utvecklingsområden) som byggts "
            "utifrån utvärdering av den tidigare modellen",
            "En värdegrund som tar sin utgångspunkt i ett tydligt brukarperspektiv",
            "Arbetet med devisen Alltid bästa möjliga möte",
            "Bra samspel mellan politik och tjänstemän",
        ],
        [
            "Få den nya modellen på plats och användas fullt ut i alla verksamheterna så att den "
            "nya styrmodellen även gör avtryck på verksamhetsnivå",
            "Förtydliga kopplingen mellan mål och indikatorer/resultatnivåer",
            "Rapportering av resultat som är jämförbara med andra kommuner",
            "Synliggör mål och strategiska utvecklingsområden i direktiv till bolagen",
            "Utveckla analysen av mål och avrapporterade resultatmått",
            "Mer heltäckande politikerenkäter som omfattar inte bara KS utan också även KF och "
            "nämnderna",
        ],
    ),
    4: (
        [
            "Tydlig ledarstrategi",
            "Hög grad av ansvarsdelegation till enhetsnivå",
            "Systematiska chefsutvärderingar",
            "Stadens chefer är tydliga bärare av vision, värdegrund och Alltid bästa möjliga möte",
            "Välutvecklat ledarprogram för både befintliga chefer/ledare och de som vill ta "
            "steget att bli chef/ledare",
            "Samverkan med andra aktörer för att utveckla ledarskapet",
        ],
        [
            "Fortsätt att utveckla arbetet kring tvärsektoriella processer och projekt",
            "Utveckla kanaler för att sprida och förankra mål, uppdrag, ansvar med mera till "
            "medarbetarna",
        ],
    ),
    5: (
        [
            "Alla verksamheter kommunicerar kostnader och resultat till medarbetarna",
            "Arbetet kring att ständigt jämföra kommunens resultat med andra kommuner",
            "Samverkan med andra aktörer för att dela på kostnader och effektivisera "
            "verksamheten",
            "Samverkan med civilsamhället för att utveckla kvaliteten på kommunens tjänster",
        ],
        [
            "Sammanlänka kostnader och resultat i uppföljningen",
            "Bättre löpande avvikelsehantering avseende verksamhetsmål under budgetåret på "
            "övergripande- och enhetsnivå",
            "Fortsätt att utveckla arenor för dialog kring resultat, analys och åtgärder",
        ],
    ),
    6: (
        [
            "Samordnad rekryteringsprocess med bra stöd till cheferna",
            "Systematiskt arbete kring att göra staden till en attraktiv arbetsgivare",
            "Kartläggning av övergripande kompetensutvecklingsbehov",
            "Systematiskt arbete kring medarbetarsamtal och medarbetarundersökningar",
        ],
        [
            "Uppföljning kring arbetet med att utveckla och stärka medarbetarna",
            "Arbetsplatsnära kompetensutveckling som ett inslag i personalpolitiken",
            "Fortsätt utveckla stödet till cheferna kring att formulera lönekriterier och "
            "prioritera yrkesgrupper/individer",
            "Arbete kring andra metoder för att kartlägga och skapa förändringar i arbetsmiljön",
        ],
    ),
    7: (
        [
            "Övergripande strategi kring ständiga förbättringar",
            "Samordning av arbetet kring ständiga förbättringar på övergripande nivå genom "
            "bland annat kvalitetsnätverket",
            "Samverkan med andra aktörer för att utveckla och förbättra kvaliteten på tjänsterna "
            "i kommunen",
            "Omvärldsspaning för att hitta goda exempel som kan implementeras i verksamheten",
            "Extern och intern granskning av verksamheterna i syfte att utveckla kvaliteten på "
            "tjänsterna",
            "Metoder för att utveckla tjänsterna i det vardagliga arbetet",
        ],
        [
            "Fortsätt arbetet kring analyser av verksamheterna för att identifiera avvikelser "
            "och ta fram förslag på åtgärder",
            "Tydliggör analysresultat för alla i organisationen",
            "Systematiskt tillvarata och sprida goda exempel i organisationen",
            "Systematiskt involvera brukarna/medborgarna i arbetet med att förbättra kvaliteten "
            "på tjänsterna",
        ],
    ),
    8: (
        [
            "Tydliga strategier inom alla delar inom området som samhällsbyggare",
            "Utvecklat samarbete med civilsamhället genom bland annat LÖK",
            "Utvecklat stöd för näringslivet",
            "Arbetet kring internationella samarbeten",
            "Flera aktiviteter för att göra staden till en miljömedveten stad",
        ],
        [
            "Fortsätt utveckla LÖKIS",
            "Följa upp satsningar till ideella föreningar eller oorganiserade invånare som "
            "verkar för att stärka lokalsamhället",
            "Fortsätt arbetet kring att utveckla den biologiska mångfalden i staden",
        ],
    ),
}


def fail(msg):
    sys.exit("extract_vasteras_texts: " + msg)


def report_body(seed):
    """Section 3 onwards as one line: page headers out, page-break hyphens joined."""
    text = seed[seed.index("Transkript:") :]
    text = re.sub(r"(\w)-" + PAGE_HEADER.pattern, r"\1", text)
    text = PAGE_HEADER.sub(" ", text)
    text = re.sub(r"\s+", " ", text)
    for old, new in FIXES:
        text = text.replace(old, new)
    return text


def between(text, start, end, what):
    i = text.find(start)
    if i < 0:
        fail(f"{what}: '{start}' not found")
    i += len(start)
    j = text.find(end, i)
    if j < 0:
        fail(f"{what}: '{end}' not found")
    return text[i:j].strip()


def split_run(run, strengths, improvements, area):
    """Checks that the items cover the run word for word; returns them."""
    words = run.rstrip(".").split()
    items = [(s, "S") for s in strengths] + [(s, "I") for s in improvements]
    used = [False] * len(items)
    pos = 0
    while pos < len(words):
        for k, (item, _) in enumerate(items):
            iw = item.split()
            if not used[k] and words[pos : pos + len(iw)] == iw:
                used[k] = True
                pos += len(iw)
                break
        else:
            fail(f"area {area}: no item starts at '{' '.join(words[pos:pos + 8])}'")
    if not all(used):
        missing = [items[k][0] for k in range(len(items)) if not used[k]]
        fail(f"area {area}: items not in the seed: {missing}")
    return strengths, improvements


def main():
    if len(sys.argv) != 2:
        fail("usage: extract_vasteras_texts.py SEED.txt")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "kommunkompassen-2015.json"), encoding="utf-8") as f:
        framework = json.load(f)
    with open(os.path.join(here, "vasteras-2017-published.json"), encoding="utf-8") as f:
        published = json.load(f)
    with open(sys.argv[1], encoding="utf-8") as f:
        body = report_body(f.read())

    areas = []
    for fa, pa in zip(framework["areas"], published["areas"]):
        n = fa["number"]
        m = re.search(rf"Område {n} [^0-9]*? Rubriker 2017 ", body)
        if not m:
            fail(f"area {n}: its heading is not in the seed")
        nxt = (
            re.search(rf"Område {n + 1} [^0-9]*? Rubriker 2017 ", body[m.end() :])
            if n < 8
            else re.search(r"4\. Översikt av poängfördelning Nedanstående", body[m.end() :])
        )
        seg = body[m.end() : m.end() + nxt.start()] if nxt else fail(f"area {n}: no end")
        # the area's score is printed beside its headings, before or after "Allmänt"
        head = seg[: seg.index("Sammanfattning")]
        if not re.search(rf"(^| ){pa['achieved']}( |$)", head):
            fail(f"area {n}: the printed score {pa['achieved']} is not by its headings")
        general = re.sub(r"^\d+ ", "", between(seg, "Allmänt ", " Sammanfattning ", f"area {n}"))
        summary = between(seg, "Sammanfattning ", " " + RUN_START, f"area {n}")
        run = seg[seg.index(RUN_START) + len(RUN_START) :].strip()
        strengths, improvements = split_run(run, *ITEMS[n], n)
        areas.append(
            {
                "number": n,
                "title": fa["title"],
                "general": general,
                "summary": summary,
                "strengths": strengths,
                "improvements": improvements,
            }
        )

    doc = {
        "source": "SKL, KommunKompassen: Analys av Västerås stad, mars 2017 (report dated "
        "2017-09-30); seed 000_380d571f3112e2c3.txt, section 3",
        "note": "Per area: 'general' is the framework's 'Allmänt' text as printed in this "
        "report; 'summary', 'strengths' and 'improvements' are the evaluation team's "
        "'Sammanfattning', 'Styrkor' and 'Förbättringsmöjligheter'. The seed's text extraction "
        "lost paragraph breaks, some dashes, and ran the two columns of strengths and "
        "improvement opportunities together; their split into items is a reading of the "
        "layout, checked word for word against the seed by extract_vasteras_texts.py.",
        "municipality": published["municipality"],
        "framework": published["framework"],
        "label": published["label"],
        "areas": areas,
    }
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
