// Texts to try the service on, written for this page.

export const SAMPLES = [
  {
    name: "A paragraph",
    text: "Grace Hopper joined the Harvard Computation Lab in 1944. By 1952 her team at "
      + "Remington Rand in Philadelphia had a compiler running, and the Navy later called her back "
      + "to duty twice.",
  },
  {
    name: "One a line",
    text: "Toni Morrison taught at Princeton University from 1989.\n"
      + "The Rhine flows from the Swiss Alps to the North Sea near Rotterdam.\n"
      + "On 20 July 1969, Neil Armstrong stepped onto the Moon for NASA.",
  },
  {
    name: "Emoji and accents",
    text: "🚀 On Tuesday Zoë Saldaña flew from São Paulo to Montréal 🇨🇦 with Renée Zellweger; "
      + "the tickets cost $1,200 each 😅.",
  },
  {
    name: "Markup stays text",
    text: "<b>Ada Lovelace</b> wrote to Charles Babbage from London in 1843 "
      + "<img src=x onerror=alert(1)> <script>alert(2)</script>",
  },
];
