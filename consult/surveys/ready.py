"""The three ready surveys an owner starts from: their titles, introductions and questions, in Polish (they are the
survey's own text, which its owner then edits, not the interface)."""

from __future__ import annotations

from dataclasses import dataclass, field

from consult.i18n import _


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    options: tuple[str, ...] = ()
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Ready:
    key: str
    name: str  # the interface's name of the template (translated)
    title: str
    intro: str
    audience: str
    anonymous: bool
    questions: tuple[Question, ...] = field(default_factory=tuple)


S, SINGLE, MULTI, SCALE, SHORT, LONG, RANK = (
    "section",
    "single",
    "multiple",
    "scale",
    "short_text",
    "long_text",
    "ranking",
)
AGREE = ("zdecydowanie nie", "zdecydowanie tak")
RATE = ("bardzo źle", "bardzo dobrze")

NEEDS = Ready(
    key="needs_assessment",
    name=_("The NGOs' needs assessment"),
    title="Diagnoza potrzeb organizacji pozarządowych",
    intro=(
        "Zbieramy informacje o tym, czego potrzebują organizacje pozarządowe działające w naszej gminie: "
        "w finansach, lokalu, kadrach i wiedzy. Wyniki posłużą do zaplanowania szkoleń, doradztwa i wsparcia "
        "w programie współpracy na przyszły rok. Wypełnienie ankiety zajmie około 10 minut."
    ),
    audience="organisations",
    anonymous=False,
    questions=(
        Question(S, "Informacje o organizacji"),
        Question(
            SINGLE,
            "Jaka jest forma prawna organizacji?",
            ("stowarzyszenie", "fundacja", "stowarzyszenie zwykłe", "koło gospodyń wiejskich", "klub sportowy", "inna"),
            required=True,
        ),
        Question(
            SINGLE,
            "Od ilu lat działa organizacja?",
            ("krócej niż 2 lata", "od 2 do 5 lat", "od 6 do 10 lat", "ponad 10 lat"),
            required=True,
        ),
        Question(
            SINGLE,
            "Ile osób regularnie angażuje się w działania organizacji (członkowie, wolontariusze, pracownicy)?",
            ("do 5 osób", "od 6 do 15 osób", "od 16 do 50 osób", "ponad 50 osób"),
        ),
        Question(S, "Potrzeby organizacji"),
        Question(
            MULTI,
            "Jakie są obecnie największe trudności organizacji?",
            (
                "brak stałych źródeł finansowania",
                "brak lokalu lub sprzętu",
                "mało osób zaangażowanych",
                "trudności w rozliczaniu dotacji",
                "brak wiedzy o przepisach",
                "słaba promocja działań",
                "trudny kontakt z urzędem",
            ),
            required=True,
            help="Można zaznaczyć kilka odpowiedzi.",
        ),
        Question(
            RANK,
            "Uszereguj formy wsparcia od najbardziej do najmniej potrzebnej (1 – najbardziej potrzebna).",
            ("szkolenia", "indywidualne doradztwo", "udostępnienie lokalu", "pomoc w promocji", "małe granty na start"),
        ),
        Question(
            MULTI,
            "Z jakich tematów szkoleń skorzystalibyście?",
            (
                "pisanie wniosków o dotacje",
                "rozliczanie dotacji i sprawozdawczość",
                "księgowość organizacji",
                "RODO w organizacji",
                "pozyskiwanie wolontariuszy",
                "komunikacja i media społecznościowe",
            ),
        ),
        Question(
            SCALE,
            "Jak oceniasz dostęp organizacji do informacji o konkursach i naborach ogłaszanych przez gminę?",
            RATE,
        ),
        Question(LONG, "Czego jeszcze potrzebuje organizacja, by lepiej działać na rzecz mieszkańców?"),
    ),
)

EVALUATION = Ready(
    key="cooperation_evaluation",
    name=_("The yearly evaluation of cooperation by NGOs"),
    title="Ocena współpracy samorządu z organizacjami pozarządowymi",
    intro=(
        "Prosimy o ocenę, jak w minionym roku układała się współpraca gminy z organizacjami pozarządowymi "
        "w ramach rocznego programu współpracy. Wyniki ankiety przedstawimy w sprawozdaniu z realizacji programu "
        "i uwzględnimy przy przygotowaniu programu na kolejny rok. Każda organizacja wypełnia ankietę raz."
    ),
    audience="organisations",
    anonymous=True,
    questions=(
        Question(S, "Formy współpracy"),
        Question(
            MULTI,
            "Z jakich form współpracy z gminą korzystała organizacja w minionym roku?",
            (
                "otwarty konkurs ofert",
                "małe granty (art. 19a)",
                "konsultacje aktów prawa miejscowego",
                "udział w zespole lub radzie",
                "użyczenie lokalu lub sprzętu",
                "wspólne przedsięwzięcia",
                "wymiana informacji",
                "nie korzystała z żadnej",
            ),
            required=True,
        ),
        Question(S, "Ocena współpracy"),
        Question(SCALE, "Jak oceniasz współpracę gminy z organizacjami w minionym roku?", RATE, required=True),
        Question(SCALE, "Jak oceniasz przejrzystość otwartych konkursów ofert?", RATE, required=True),
        Question(SCALE, "Jak oceniasz terminowość przekazywania dotacji?", RATE),
        Question(SCALE, "Jak oceniasz dostępność i pomoc pracowników urzędu?", RATE, required=True),
        Question(
            SINGLE,
            "Czy organizacja miała realny wpływ na treść konsultowanych dokumentów?",
            ("tak", "raczej tak", "raczej nie", "nie", "trudno powiedzieć"),
        ),
        Question(
            SINGLE,
            "Czy w porównaniu z poprzednim rokiem współpraca się zmieniła?",
            ("poprawiła się", "pozostała bez zmian", "pogorszyła się", "trudno powiedzieć"),
        ),
        Question(S, "Na przyszłość"),
        Question(
            RANK,
            "Które obszary współpracy wymagają poprawy w pierwszej kolejności? (1 – najpilniejszy)",
            (
                "procedury konkursowe",
                "informacja i komunikacja",
                "konsultacje",
                "wsparcie lokalowe",
                "szkolenia i doradztwo",
            ),
        ),
        Question(LONG, "Co należałoby zmienić w programie współpracy na przyszły rok?"),
    ),
)

RESIDENTS = Ready(
    key="residents_expectations",
    name=_("Residents' knowledge of and expectations from NGOs"),
    title="Co mieszkańcy wiedzą o organizacjach pozarządowych i czego od nich oczekują",
    intro=(
        "Chcemy sprawdzić, co mieszkańcy wiedzą o organizacjach pozarządowych działających w gminie i czego od nich "
        "oczekują. Ankieta jest anonimowa i zajmie około 5 minut."
    ),
    audience="link",
    anonymous=True,
    questions=(
        Question(S, "Wiedza o organizacjach"),
        Question(
            SINGLE,
            "Czy znasz organizacje pozarządowe działające w gminie?",
            (
                "znam kilka z nazwy i wiem, czym się zajmują",
                "znam jedną lub dwie",
                "słyszałem/słyszałam o nich, ale nie wiem, czym się zajmują",
                "nie znam żadnej",
            ),
            required=True,
        ),
        Question(
            MULTI,
            "Skąd dowiadujesz się o działaniach organizacji?",
            (
                "od znajomych i rodziny",
                "z mediów społecznościowych",
                "ze strony internetowej gminy",
                "z lokalnej prasy",
                "z plakatów i ogłoszeń",
                "w szkole lub przedszkolu",
                "nie docierają do mnie",
            ),
        ),
        Question(
            SINGLE,
            "Czy w ciągu ostatniego roku brałeś/brałaś udział w wydarzeniu przygotowanym przez organizację?",
            ("tak, kilka razy", "tak, raz", "nie"),
        ),
        Question(SCALE, "W jakim stopniu ufasz organizacjom pozarządowym działającym w gminie?", ("wcale", "bardzo")),
        Question(S, "Oczekiwania"),
        Question(
            RANK,
            "Uszereguj, czym organizacje powinny zajmować się w pierwszej kolejności (1 – najważniejsze).",
            (
                "pomoc seniorom i osobom samotnym",
                "zajęcia dla dzieci i młodzieży",
                "sport i rekreacja",
                "kultura i tradycje lokalne",
                "ochrona środowiska",
            ),
            required=True,
        ),
        Question(
            SINGLE,
            "Czy chciałbyś/chciałabyś zaangażować się jako wolontariusz lub wolontariuszka?",
            ("tak", "może, gdybym wiedział/wiedziała jak", "nie"),
        ),
        Question(SHORT, "W jakiej miejscowości lub części gminy mieszkasz?"),
        Question(LONG, "Czego brakuje Ci w ofercie organizacji działających w gminie?"),
    ),
)

READY = {ready.key: ready for ready in (NEEDS, EVALUATION, RESIDENTS)}
