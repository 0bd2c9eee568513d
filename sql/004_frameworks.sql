-- 004: frameworks and municipalities.
--
-- A framework version (KommunKompassen 2015, ...) is a tree: areas, each with
-- scored questions. Points are numeric(6,2): decimals occur, at most two
-- places. Once an evaluation uses a framework, the framework is immutable
-- (trigger in 005_evaluations.sql, where evaluations are defined).

CREATE TABLE frameworks (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    year        int  NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    note        text NOT NULL DEFAULT '',
    total_max   numeric(7,2) NOT NULL CHECK (total_max > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint                       -- users.id; NULL for shipped frameworks
);

CREATE TABLE framework_areas (
    id            bigserial PRIMARY KEY,
    framework_id  bigint NOT NULL REFERENCES frameworks (id),
    number        int NOT NULL CHECK (number BETWEEN 1 AND 99),
    title         text NOT NULL,
    headings      text[] NOT NULL DEFAULT '{}',
    general_text  text NOT NULL DEFAULT '',     -- the framework's "Allmänt"
    max           numeric(6,2) NOT NULL CHECK (max > 0),
    UNIQUE (framework_id, number)
);

CREATE TABLE framework_questions (
    id            bigserial PRIMARY KEY,
    framework_id  bigint NOT NULL REFERENCES frameworks (id),
    area_id       bigint NOT NULL REFERENCES framework_areas (id),
    code          text NOT NULL,                -- "3.2"
    position      int NOT NULL,                 -- order within the area, from 1
    text          text NOT NULL,
    max           numeric(6,2) NOT NULL CHECK (max > 0),
    UNIQUE (framework_id, code)
);
CREATE INDEX framework_questions_area ON framework_questions (area_id, position);

CREATE TABLE municipalities (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind        text NOT NULL DEFAULT 'kommun' CHECK (kind IN ('kommun', 'stad', 'region')),
    county      text NOT NULL DEFAULT '',
    org_number  text NOT NULL DEFAULT '' CHECK (org_number = '' OR org_number ~ '^[0-9]{6}-[0-9]{4}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX municipalities_name ON municipalities (lower(name));

-- Loads a framework from the JSON shape of `kompass framework import`
-- (validated beforehand by kompassd; the constraints above are the backstop).
-- Returns the new framework's id.
CREATE FUNCTION framework_load(doc jsonb, creator bigint) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    fid bigint;
    aid bigint;
    area jsonb;
    q jsonb;
    pos int;
BEGIN
    INSERT INTO frameworks (code, name, year, note, total_max, created_by)
    VALUES (doc->'framework'->>'code', doc->'framework'->>'name',
            (doc->'framework'->>'year')::int, coalesce(doc->'framework'->>'note', ''),
            (SELECT sum((a->>'max')::numeric) FROM jsonb_array_elements(doc->'areas') a),
            creator)
    RETURNING id INTO fid;
    FOR area IN SELECT * FROM jsonb_array_elements(doc->'areas') LOOP
        INSERT INTO framework_areas (framework_id, number, title, headings, general_text, max)
        VALUES (fid, (area->>'number')::int, area->>'title',
                coalesce(ARRAY(SELECT jsonb_array_elements_text(area->'headings')), '{}'),
                coalesce(area->>'general_text', ''), (area->>'max')::numeric)
        RETURNING id INTO aid;
        pos := 0;
        FOR q IN SELECT * FROM jsonb_array_elements(area->'questions') LOOP
            pos := pos + 1;
            INSERT INTO framework_questions (framework_id, area_id, code, position, text, max)
            VALUES (fid, aid, q->>'code', pos, q->>'text', (q->>'max')::numeric);
        END LOOP;
    END LOOP;
    RETURN fid;
END
$fn$;

-- KommunKompassen, 2015 update: as printed in SKL's Västerås 2017 report
-- (areas, "Rubriker 2017" headings, questions and maxima; the general texts
-- are the report's "Allmänt" of each area).
SELECT framework_load($kk${
 "framework": {
  "code": "KK2015",
  "name": "Kommunkompassen (2015 års uppdatering)",
  "note": "Eight areas of 100 points each, 800 in all. Structure and maximum points as printed in the seed report's section '4. Översikt av poängfördelning'. Headings are the report's 'Rubriker 2017' of each area.",
  "year": 2015
 },
 "areas": [
  {
   "number": 1,
   "title": "Offentlighet och demokrati",
   "headings": [
    "Strategi för demokratiutveckling och information",
    "Information till medborgare",
    "Dialog och invånarmedverkan",
    "Etik – motverkan av korruption"
   ],
   "max": 100,
   "questions": [
    {
     "code": "1.1",
     "text": "Finns en plan/strategi för demokratiutveckling och information?",
     "max": 15
    },
    {
     "code": "1.2",
     "text": "Informeras invånarna om aktuella frågor i politiken?",
     "max": 20
    },
    {
     "code": "1.3",
     "text": "Informeras invånare om resultat?",
     "max": 25
    },
    {
     "code": "1.4",
     "text": "Främjas invånardialog och deltagande?",
     "max": 30
    },
    {
     "code": "1.5",
     "text": "Etik – Hur skapas tillit genom hög etisk standard?",
     "max": 10
    }
   ],
   "general_text": "En kommun är en politiskt styrd organisation och det är politikernas ansvar att ta till sig invånarnas åsikter kring vad kommunen skall göra under en mandatperiod. Det handlar då inte bara om att förvalta det valprogram som man har haft i anslutning till senaste kommunalval, utan det handlar i mångt och mycket om att göra medborgarna delaktiga i de beslutsprocesser som sker i kommunen. I detta sammanhang gäller då både att vara lyhörd och öppen för diskussion innan beslut skall tas och om att sprida information om beslut som fattats. Det handlar i grund och botten om det demokratiska perspektivet som är grundläggande för den offentliga sektorn. Det kan göras på olika sätt. Dels kan politiken arbeta aktivt genom sitt partiarbete, dels kan man via kommunorganisationen arbeta med information och öppna upp för möjligheten att påverka de processer som sker i kommunfullmäktige, kommunstyrelse och nämnder. Det är det senare perspektivet som utvärderas i detta kriterium. Partiarbetet som av många politiker lyfter fram som det viktigaste demokratiska arbetet kan av förklarliga skäl inte utvärderas i Kommunkompassen, då detta ligger utanför kommunorganisationen."
  },
  {
   "number": 2,
   "title": "Brukarfokus, tillgänglighet och bemötande",
   "headings": [
    "Strategi för brukarorientering",
    "Tillgänglighet och bemötande",
    "Information om service och tjänster",
    "Brukarundersökningar",
    "Deklarationer och synpunkts-/klagomålshantering"
   ],
   "max": 100,
   "questions": [
    {
     "code": "2.1",
     "text": "Finns det en kommunövergripande strategi för brukarfokus?",
     "max": 15
    },
    {
     "code": "2.2",
     "text": "Hur arbetar kommunen med tillgänglighet och bemötande?",
     "max": 25
    },
    {
     "code": "2.3",
     "text": "Hur informerar kommunen om service och tjänster?",
     "max": 20
    },
    {
     "code": "2.4",
     "text": "Hur arbetar kommunen med brukarundersökningar?",
     "max": 20
    },
    {
     "code": "2.5",
     "text": "Hur arbetar kommunen med att förtydliga tjänsternas innehåll samt synpunkts- och klagomålshantering för medborgare/brukare?",
     "max": 20
    }
   ],
   "general_text": "Med brukarorientering avses att kommunen ska ha ett gemensamt förhållningssätt till sina brukare. Hög tillgänglighet och ett gott bemötande är viktiga delar i ett sådant förhållningssätt. Att vara tydlig när det gäller information om vad brukarna kan förvänta sig i form av tjänster är ytterligare en viktig aspekt. Många gånger beror missnöje hos brukare på att man från verksamheten inte klargjort för brukarna vad kommunens tjänster skall innehålla. Förväntad kvalitet motsvarar då ibland inte levererad kvalitet vilket skapar missnöjda föräldrar, vårdtagare, klienter, m.m. Tydlig information om tjänster och möjlighet för brukarna att tycka till om de tjänster som utförs brukar leda till en större andel nöjda brukare."
  },
  {
   "number": 3,
   "title": "Politisk styrning och kontroll",
   "headings": [
    "System för styrning och uppföljning",
    "Politiska mål",
    "Uppföljning och rapportering",
    "Ansvarsfördelning politiker/tjänstemän",
    "Samspel och dialog"
   ],
   "max": 100,
   "questions": [
    {
     "code": "3.1",
     "text": "Genomsyras hela organisationen av ett helhetstänkande avseende styrning/uppföljning?",
     "max": 15
    },
    {
     "code": "3.2",
     "text": "Styrs kommunen av tydliga politiska mål?",
     "max": 25
    },
    {
     "code": "3.3",
     "text": "Rapporterar förvaltningen till den politiska nivån och har politikerna möjlighet att utöva tillsyn över förvaltningen?",
     "max": 25
    },
    {
     "code": "3.4",
     "text": "Finns det en tydlig delegation och ansvarsfördelning mellan politisk och tjänstemannanivå?",
     "max": 20
    },
    {
     "code": "3.5",
     "text": "Finns det en ömsesidig förståelse av uppgifter, roller och spelregler mellan politiker och tjänstemän?",
     "max": 15
    }
   ],
   "general_text": "I en kommun beställer politiken genomförandet av ett uppdrag av en utförarorganisation. Det kan vara de egna förvaltningarna eller en/flera externa utförare. Detta uppdrag ska spegla den politiska majoritetens vilja när det gäller att utveckla och fördela service till kommuninvånarna. Den modell som de flesta använder för att förtydliga detta uppdrag är någon form av målstyrningen. Hur denna modell är utformad i svenska kommuner varierar däremot i stor omfattning. För att samspelet mellan den politiska ledningen och tjänstemannaorganisationen i kommunen skall fungera, krävs att roller och ansvar för de olika funktionerna har klargjorts. Vid upphandling av tjänster från externa utförare bör denna spegla kommunens övergripande mål."
  },
  {
   "number": 4,
   "title": "Ledarskap, ansvar och delegation",
   "headings": [
    "Strategi för ledarskap, ansvar och delegation",
    "Enheternas ansvar",
    "Tvärsektoriellt samarbete",
    "Personligt ansvar och uppdrag för chefer",
    "Kommunledningens kommunikation",
    "Ledarutveckling"
   ],
   "max": 100,
   "questions": [
    {
     "code": "4.1",
     "text": "Finns kommunövergripande strategi för ledarskap, ansvar och delegation?",
     "max": 15
    },
    {
     "code": "4.2",
     "text": "Vilket ansvar har resultatenheterna för budget, personal och organisation?",
     "max": 10
    },
    {
     "code": "4.3",
     "text": "Beskrivs inriktning och ansvar för tvärsektoriellt samarbete?",
     "max": 20
    },
    {
     "code": "4.4",
     "text": "Tydliggörs det personliga uppdraget för alla chefer i organisationen?",
     "max": 15
    },
    {
     "code": "4.5",
     "text": "Sker central ledning för underställda avdelningar/enheter?",
     "max": 20
    },
    {
     "code": "4.6",
     "text": "Bedriver kommunen ledarutveckling?",
     "max": 20
    }
   ],
   "general_text": "I svenska kommuner uppstår ibland en kraftmätning mellan på ena sidan de centrala funktionerna med kommunfullmäktige och kommunstyrelsen och på andra sidan facknämnderna. Detta återspeglas ofta även inom förvaltningsorganisationen där förvaltningsövergripande anslag kring ekonomi-, personal- och utvecklingssystem ställs mot förvaltningsspecifika system. Samma mönster återfinns inom respektive förvaltning när det gäller fördelning av frihet och ansvar mellan förvaltningsledning och de olika resultatenheterna. Det optimala är att hitta en fruktbar balans mellan central ledning och lokal frihet under ansvar."
  },
  {
   "number": 5,
   "title": "Resultat och effektivitet",
   "headings": [
    "Strategi för resultatstyrning och effektivitetsutveckling",
    "Kostnader och resultat i budgetprocessen",
    "Arbetsprocesser, uppföljning och kontroll",
    "Kommunikation kring resurser och resultat",
    "Jämförelser",
    "Extern samverkan"
   ],
   "max": 100,
   "questions": [
    {
     "code": "5.1",
     "text": "Finns en strategi för resultatstyrning och effektivitetsutveckling?",
     "max": 15
    },
    {
     "code": "5.2",
     "text": "Tydliggör kommunen sambandet mellan kostnader och resultat i budgetprocessen?",
     "max": 20
    },
    {
     "code": "5.3",
     "text": "Arbetar kommunen med utveckling, uppföljning och kontroll?",
     "max": 20
    },
    {
     "code": "5.4",
     "text": "Kommuniceras och förs strategiska diskussioner kring resurser och resultat?",
     "max": 15
    },
    {
     "code": "5.5",
     "text": "Används jämförelser aktivt som ett led i serviceutveckling och effektivisering?",
     "max": 20
    },
    {
     "code": "5.6",
     "text": "Sker extern samverkan för att stärka serviceutbudet och öka effektivitet?",
     "max": 10
    }
   ],
   "general_text": "Området kontroll och rapportering avser framförallt det arbete som sker inom förvaltningsorganisationen avseende uppföljning av verksamhet. Det gäller då inte bara den ekonomiska uppföljningen, utan även verksamhetsuppföljning avseende volym, kvalitet, m.m. Man kan våga sig på att säga att just uppgiften att koppla ihop ekonomistyrning med verksamhetsstyrning och därmed också uppföljning av detsamma, är den stora utmaning som svenska kommuner står inför. Det handlar i grunden om att kunna mäta resultat och effektivitet. Vad får jag för tjänst och vilken kvalitet innehåller denna tjänst i relation till vad den kostar?"
  },
  {
   "number": 6,
   "title": "Kommunen som arbetsgivare – personalpolitik",
   "headings": [
    "Personalstrategi",
    "Rekrytering",
    "Kompetens- och medarbetarutveckling",
    "Individuell lönesättning",
    "Arbetsmiljöarbete",
    "Mångfald"
   ],
   "max": 100,
   "questions": [
    {
     "code": "6.1",
     "text": "Finns en kommunövergripande personalstrategi?",
     "max": 15
    },
    {
     "code": "6.2",
     "text": "Tillvaratas befintliga och hur rekryteras nya medarbetare? Kommunen som attraktiv arbetsgivare.",
     "max": 20
    },
    {
     "code": "6.3",
     "text": "Läggs stor vikt på kompetens- och medarbetarutveckling?",
     "max": 25
    },
    {
     "code": "6.4",
     "text": "Sker individuell lönesättning och belöning av goda prestationer?",
     "max": 15
    },
    {
     "code": "6.5",
     "text": "Arbetar kommunen med medarbetarundersökningar?",
     "max": 15
    },
    {
     "code": "6.6",
     "text": "Arbetar kommunen med mångfald (etnicitet, kulturellt och kön)?",
     "max": 10
    }
   ],
   "general_text": "I ett framtidsperspektiv är en stark och tydlig personalpolitik som lyfter fram och stärker de olika personalgrupperna i kommunen av största vikt. Svenska kommuner står inför stora nyrekryteringsbehov på grund av bl.a. omfattande pensionsavgångar. Eftersom den offentliga sektorn har problem med att konkurrera om attraktiva yrkesgrupper med löner, måste man skapa arbetsplatser som dels attraherar ny personal, dels stimulerar befintlig personal att stanna och utvecklas."
  },
  {
   "number": 7,
   "title": "Ständiga förbättringar",
   "headings": [
    "Strategiskt förbättringsarbete",
    "Verksamheternas förbättringsarbete",
    "Lärande genom omvärldsspaning och samverkan",
    "Metoder inom förbättringsarbetet",
    "Kreativitet och innovationer"
   ],
   "max": 100,
   "questions": [
    {
     "code": "7.1",
     "text": "Finns en strategi för ständiga förbättringar?",
     "max": 15
    },
    {
     "code": "7.2",
     "text": "Arbetar verksamheterna med analys av avvikelser, brister och problem?",
     "max": 25
    },
    {
     "code": "7.3",
     "text": "Sker extern omvärldsspaning och samverkan för att förbättra kvaliteten på tjänsterna?",
     "max": 20
    },
    {
     "code": "7.4",
     "text": "Finns metoder för att förbättra kvaliteten på tjänsterna?",
     "max": 20
    },
    {
     "code": "7.5",
     "text": "Arbetar kommunen med kreativitet och förbättringar?",
     "max": 20
    }
   ],
   "general_text": "Inom näringslivet har det sedan mitten av 1900-talet funnits ett otal olika system för att bedriva kvalitetsarbete. Kvalitetsarbete är i de flesta fall synonymt med att på ett strukturerat sätt arbeta för att skapa kontinuerliga förbättringar i en verksamhet. TQM, EFQM, ISO, SIQ, BS, LEAN är alla standards eller system för detta kontinuerliga förbättringsarbete. I den kommunala världen har oftast kvalitetsarbete förekommit som enskilda öar knutna till vissa verksamheter. Ett identifierbar mönster under senare år är att flera kommuner börjar ta fram övergripande system för att effektivisera och förbättra sin verksamhet. Dessa system är då oftast egenutvecklade modeller för förbättringsarbete som ibland innehåller delar av de system som nämns ovan. En framgångsfaktor för ett fungerande kvalitetsarbete är att det system som används, tydligt länkar till kommunens styr- och uppföljningssystem."
  },
  {
   "number": 8,
   "title": "Kommunen som samhällsbyggare",
   "headings": [
    "Strategier för samhällsbyggande",
    "Samarbete med civilsamhället",
    "Samarbete med kulturlivet",
    "Stöd till näringslivet",
    "Internationella kontakter",
    "Miljöarbete",
    "Hållbar utveckling"
   ],
   "max": 100,
   "questions": [
    {
     "code": "8.1",
     "text": "Finns övergripande planer/strategier för samhällsbyggande?",
     "max": 15
    },
    {
     "code": "8.2",
     "text": "Samverkar kommunen med aktörer inom civilsamhället kring utveckling av lokalsamhället?",
     "max": 15
    },
    {
     "code": "8.3",
     "text": "Samverkar kommunen med kulturlivet?",
     "max": 15
    },
    {
     "code": "8.4",
     "text": "Vilken är kommunens roll i utveckling av näringslivet?",
     "max": 15
    },
    {
     "code": "8.5",
     "text": "Arbetar kommunen med internationella kontakter?",
     "max": 10
    },
    {
     "code": "8.6",
     "text": "Arbetar kommunen med miljöfrågor?",
     "max": 15
    },
    {
     "code": "8.7",
     "text": "Hur främjas social hållbarhet?",
     "max": 15
    }
   ],
   "general_text": "I kommunens roll som samhällsbyggare är samarbetet med lokalsamhället i form av förenings-, kultur- och näringsliv en viktig uppgift. Likaså att upprätthålla samverkan på regional, nationell och internationell nivå. Kommunen har en viktig roll att fungera som katalysator för att olika verksamheter i den geografiska kommunen skall fungera tillsammans för att skapa attraktivitet, tillväxt och en hållbar utveckling."
  }
 ]
}$kk$::jsonb, NULL);
