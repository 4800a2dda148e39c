"""Texts written for this project's tests, so every test runs on a fresh clone.

Paragraphs and long documents full of entities (people, places, organisations, dates, money,
quantities) and of offset traps: accented letters, combining marks, CJK, right-to-left script,
emoji and other characters outside the Basic Multilingual Plane, so that UTF-8 byte offsets,
code point offsets and token offsets all differ. The sentences are original; the shared corpus
(`NER_CORPUS_DIR`) stays the place for fidelity over text written by other people.

`PARAGRAPHS` and `DOCUMENTS` are lists of `{"id": ..., "text": ...}`, the corpus's own shape.
"""

from __future__ import annotations

from collections.abc import Sequence

COMBINING_ACUTE = "\u0301"
COMBINING_TILDE = "\u0303"
RLM = "\u200f"
NBSP = "\u00a0"

_PARAGRAPHS = [
    # News
    "The city council of Leeds voted on Tuesday to spend £4.2 million on new cycle lanes along the "
    "A61, after a consultation that drew more than 3,000 replies. Councillor Amira Haddad said the "
    "first section, about 2.5 kilometres long, would open in September 2025.",
    "Flooding closed the main road between Porto Alegre and Canoas for six hours on 3 May. The "
    "state's civil defence agency said 140 families spent the night in a school gym, and the "
    "governor, Eduardo Leite, promised R$50 million for repairs by the end of the year.",
    "On the morning of 12 February, a freight train carrying 2,400 tonnes of grain derailed near "
    "Winnipeg. Canadian Pacific Kansas City said nobody was hurt and that the line would reopen "
    "within 48 hours; the Transportation Safety Board of Canada sent two investigators.",
    "Voters in Reykjavík chose Dagur Bergþóruson as mayor again last spring. Turnout reached 61 "
    "percent, the highest since 2006, and the Social Democratic Alliance won five of the 23 seats "
    "on the city council.",
    "The European Central Bank left its deposit rate at 4 percent on Thursday. Speaking in "
    "Frankfurt, Christine Lagarde told reporters that inflation in the euro area had fallen to 2.9 "
    "percent in October, down from more than 10 percent a year earlier.",
    "A fire at a warehouse in Łódź destroyed about 8,000 square metres of stock overnight. The "
    "owner, a logistics firm called Wisła Cargo, said losses could reach 30 million złoty, and "
    "fifty firefighters from Kraków and Warsaw helped to bring it under control by dawn.",
    # Science and health
    "Researchers at the University of Ghana and the London School of Hygiene & Tropical Medicine "
    "tested a malaria vaccine on 4,800 children in Kumasi between 2019 and 2022. Dr. Kwame Mensah, "
    "who led the trial, reported that severe cases fell by 71 percent in the first year.",
    "The telescope on Cerro Pachón, in the Chilean Andes, took its first images in June. It weighs "
    "about 350 tonnes and will photograph the whole southern sky every three nights for ten years, "
    "according to the Vera C. Rubin Observatory's director, Željko Ivezić.",
    "Marine biologists from the Monterey Bay Aquarium Research Institute filmed a squid 2,100 "
    "metres below the surface of the Pacific Ocean. The animal, roughly 40 centimetres long, had "
    "never been recorded alive before, said Dr. Stephanie Bush on Wednesday.",
    "In 1928 Alexander Fleming noticed that a mould had stopped bacteria from growing on a plate in "
    "his laboratory at St Mary's Hospital in London. Penicillin was not produced in quantity until "
    "1943, when factories in the United States made about 21 billion units a year.",
    "Engineers at CERN, near Geneva, cooled the magnets of the Large Hadron Collider to 1.9 kelvin "
    "before the new run began on 5 July. Fabiola Gianotti said the machine would collide protons "
    "at 13.6 teraelectronvolts, a record for the laboratory.",
    # Business
    "Siemens agreed on Monday to buy Altair Engineering, a software maker based in Troy, Michigan, "
    "for about $10 billion in cash. Roland Busch, the chief executive of the German group, said "
    "the deal should close in the second half of 2025, subject to approval in Washington and Brussels.",
    "Shares of Toyota Motor rose 3 percent in Tokyo after the carmaker said it sold 10.3 million "
    "vehicles in the year to March. Its finance chief, Yoichi Miyazaki, forecast an operating profit "
    "of ¥4.3 trillion for the following year.",
    "The Harrowgate Ferry Company, a family business on the Isle of Wight, ordered two electric "
    "ferries from a shipyard in Gdańsk for €18 million. Each boat will carry 120 passengers and "
    "cross the Solent in 25 minutes, the managing director, Priya Raman, said in a statement.",
    "Tata Consultancy Services reported revenue of ₹2,40,893 crore for the financial year, and its "
    "board proposed a dividend of ₹28 a share. The company, based in Mumbai, employs more than "
    "600,000 people in 55 countries.",
    "A start-up from Nairobi called Maji Pay raised $12 million from investors led by Partech "
    "Africa. Its founder, Wanjiru Kamau, said the money would take the payment app to Kampala, Dar "
    "es Salaam and Kigali before December.",
    # Sport
    "Boca Juniors beat River Plate 2-1 at La Bombonera on Sunday evening. Edinson Cavani scored "
    "the winner in the 87th minute, and about 54,000 fans stayed in the stadium long after the "
    "final whistle.",
    "Faith Kipyegon of Kenya won the women's 1,500 metres at the World Athletics Championships in "
    "Budapest in 3 minutes 54.87 seconds. She finished more than a second ahead of Diribe Welteji "
    "of Ethiopia, with Sifan Hassan of the Netherlands third.",
    "The Tour de France left Florence on 29 June, the first start in Italy in the race's history. "
    "Tadej Pogačar of Slovenia took the yellow jersey in the Alps a week later and kept it all the "
    "way to Nice, 3,492 kilometres from the start.",
    "Australia bowled India out for 185 on the first day of the fifth Test in Sydney. Scott Boland "
    "took four wickets for 31 runs, and the crowd at the Sydney Cricket Ground reached 47,566, a "
    "record for the opening day of a Test there.",
    # History and culture
    "Ada Lovelace published her notes on Charles Babbage's Analytical Engine in 1843. She was 27, "
    "lived in London with her husband William King, and signed the translation only with her "
    "initials, A.A.L.",
    "The Treaty of Westphalia was signed in Osnabrück and Münster in 1648, ending the Thirty Years' "
    "War. Envoys from Sweden, France and the Holy Roman Empire had argued for nearly five years "
    "about the seating order alone.",
    "Frida Kahlo painted The Two Fridas in 1939, the year she divorced Diego Rivera. The canvas, "
    "about 1.7 metres square, hangs in the Museo de Arte Moderno in Mexico City and has left "
    "Mexico only a handful of times.",
    "Nelson Mandela was released from Victor Verster Prison, near Paarl, on 11 February 1990, after "
    "27 years in prison. That afternoon he spoke to a crowd of around 50,000 people from the "
    "balcony of Cape Town City Hall.",
    "In 1969 Neil Armstrong and Buzz Aldrin spent about 21 hours on the Moon while Michael Collins "
    "orbited in the command module Columbia. NASA spent some $25.8 billion on the Apollo "
    "programme, roughly $300 billion in today's money.",
    # Travel, with accented place names
    "From São Paulo the bus to Florianópolis takes about eleven hours and costs R$280. The road "
    "climbs through Curitiba, where most travellers stop for a night at the Hotel Paraná before "
    "following the coast south for another 300 kilometres.",
    "Malmö and Copenhagen are joined by the Øresund Bridge, 7.8 kilometres long, which opened on 1 "
    "July 2000. A return ticket on the train costs about 230 Danish kroner, and the trip from "
    "Malmö Central to Kastrup airport takes 20 minutes.",
    "The ferry from Ærøskøbing to Svendborg runs six times a day in summer. Anne-Sofie Møller, "
    "who has captained it since 2011, says that on a calm morning in July you can see porpoises "
    "in the Sound for most of the 75 minutes.",
    "Đà Nẵng sits halfway between Hanoi and Ho Chi Minh City. Vietnam Airlines flies there from "
    "both cities several times a day, and a taxi from the airport to the beach at Mỹ Khê costs "
    "around 150,000 đồng.",
    "Zoë Brontë-Núñez runs a bakery in Sevilla and walks forty minutes every morning to her "
    "shop on Calle Feria. In 2023 she won the city's prize for the best torrijas, worth €1,500, "
    "and spent it on a second oven.",
    # Offset traps: combining marks, CJK, RTL, emoji, astral characters
    f"Jose{COMBINING_ACUTE} Nu{COMBINING_TILDE}ez and Ame{COMBINING_ACUTE}lie Lefe{COMBINING_ACUTE}vre "
    f"met in Montre{COMBINING_ACUTE}al in March 2014, where both worked for Bombardier. Their names "
    "are written here with combining accents, so a single letter takes two code points.",
    "李娜 won the French Open in Paris in 2011, the first singles title at a Grand Slam for a player "
    "from Asia. Back home in 武汉, more than 116 million people watched the final on CCTV, the "
    "state broadcaster said the next day.",
    "The 東京 office of Sony Group moved to a new tower in 港区 in April 2024. About 2,000 staff "
    "work there, and the building uses 30 percent less electricity than the old one in 品川, "
    "according to Kenichiro Yoshida.",
    "삼성전자, known abroad as Samsung Electronics, opened a chip plant in Taylor, Texas, that cost "
    "$17 billion. Lee Jae-yong visited the site in 서울's winter, when the temperature in Texas "
    "dropped to minus 6 degrees Celsius.",
    f"The conference in {RLM}القاهرة{RLM} (Cairo) drew 800 delegates from 40 countries in November. "
    "Dr. Layla Hassan of Ain Shams University opened it, and a second meeting is planned in "
    "ירושלים next year, organised by the Hebrew University of Jerusalem.",
    "Maryam Al-Farsi flew from Muscat to Dubai on 8 January for a meeting at Emirates NBD, where "
    "she signed a loan of 45 million dirhams. The bank's statement spelled her name مريم الفارسي.",
    "The launch from Cape Canaveral on 14 October went perfectly 🚀 and SpaceX recovered the first "
    "stage 👍🏽 on the drone ship eight minutes later. Elon Musk wrote that the booster had now "
    "flown 20 times.",
    "Dr. Ngozi Okafor 👩\u200d🔬 of the University of Lagos 🇳🇬 won the Royal Society's Africa Prize "
    "in 2022 for her work on cassava. The award came with £30,000, which she spent on a sequencer "
    "for her laboratory in Akoka.",
    "The mathematician Maryam Mirzakhani, writing about the curve \U0001d504, used symbols like "
    "\U0001d4ae and \U0001d542 that lie outside the Basic Multilingual Plane. She taught at "
    "Stanford University in California from 2009 until her death in 2017.",
    "The British Museum in London shows a stela with the hieroglyph 𓂀, the eye of Horus, carved "
    "about 1250 BC in Thebes. Dr. Helen Marsh, the curator, said it was bought in 1821 for 30 guineas.",
    f"On 2{NBSP}April the Oslo{NBSP}Philharmonic played in Bergen for 1,800 people. Tickets cost "
    f"450{NBSP}kroner, and the conductor, Klaus Mäkelä, dedicated the concert to Edvard Grieg, who "
    "was born in the city in 1843.",
    "Ольга Смирнова, a ballerina who left the Bolshoi Theatre in Moscow in March 2022, joined the "
    "Dutch National Ballet in Amsterdam. She danced Giselle there in front of 1,600 people on 20 May.",
    "Ἀθῆναι is how Plato would have written Athens. Today the Acropolis Museum, opened in 2009 by "
    "the architect Bernard Tschumi, gets about two million visitors a year and charges €20 for entry.",
    "At 09:30 on Friday, Ibrahim Diallo left Dakar for Bamako with 3.5 tonnes of rice 🍚 on a "
    "truck owned by Sahel Transports SARL. The trip of 1,250 kilometres took him three days and "
    "cost 400,000 CFA francs in fuel ⛽.",
    "Meera Pillai, a teacher in Kochi, paid ₹12,500 for a laptop in August and used it to teach "
    "38 pupils at Government Higher Secondary School in Ernakulam. The district gave her a grant "
    "of ₹50,000 a month later.",
    "In the winter of 2019 Hamid Karimi drove 600 kilometres from Tabriz to Tehran in a 1978 "
    "Paykan. He sold the car to a collector in Isfahan for 900 million rials, about $21,000 at "
    "the time.",
]

PARAGRAPHS: list[dict[str, str]] = [
    {"id": f"p{number:02d}", "text": text} for number, text in enumerate(_PARAGRAPHS, start=1)
]

#: The long documents: a headline, then most of the paragraphs in an order of their own, so
#: each reads differently; six to ten thousand characters each.
_HEADLINES = [
    "Weekly digest: councils, courts and the weather",
    "Letters from the road ✈️ — São Paulo, Malmö, Đà Nẵng",
    "Markets and money: ¥, €, £, ₹ and $",
    "Science notebook 🔬 from CERN to Cerro Pachón",
    f"Names that break byte offsets: Jose{COMBINING_ACUTE}, 李娜, مريم, 👩\u200d🔬",
    "A long afternoon in the archive",
]


def _long_documents() -> list[dict[str, str]]:
    count = len(_PARAGRAPHS)
    documents = []
    for number, headline in enumerate(_HEADLINES):
        stride = 2 * number + 1  # odd and below 23, so coprime with the 46 paragraphs: no repeats
        length = count if number == len(_HEADLINES) - 1 else 28
        body = "\n\n".join(_PARAGRAPHS[(number * 7 + step * stride) % count] for step in range(length))
        documents.append({"id": f"d{number + 1}", "text": f"{headline}\n\n{body}"})
    return documents


DOCUMENTS: list[dict[str, str]] = _long_documents()


def rows(count: int, source: Sequence[dict[str, str]] = PARAGRAPHS) -> list[dict[str, str]]:
    """`count` documents with distinct ids, cycling through `source`: enough input for a bulk run."""
    made = []
    for index in range(count):
        document = source[index % len(source)]
        made.append({"id": f"{document['id']}-{index // len(source)}", "text": document["text"]})
    return made
