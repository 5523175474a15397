/**
 * What happened, in a claimant's words, per claim type. Most narratives use the words a
 * keyword model expects; the `misleading` ones are true to their type but worded like another
 * (a ski accident abroad is a travel claim full of hospital words). Those are where an honest
 * model is still confidently wrong — calibration has to be measured, not assumed.
 */
import type { ClaimType } from "./domain.js";
import type { Rng } from "./prng.js";
import { BUSINESSES, CITIES, DESTINATIONS } from "./vocabulary.js";

type Template = (r: Rng) => string;

interface TypeNarratives {
  plain: readonly Template[];
  misleading: readonly Template[];
}

const NARRATIVES: Readonly<Record<ClaimType, TypeNarratives>> = {
  auto: {
    plain: [
      (r) =>
        `I was rear-ended at a red light on ${r.pick(["Main Street", "5th Avenue", "Route 9", "Elm Road"])} and the back bumper of my car is badly dented.`,
      (r) =>
        `Someone hit my parked car in the ${r.pick(["supermarket", "mall", "gym", "office"])} parking lot and drove off. The driver side door and mirror are damaged.`,
      () => "My car slid on ice and hit a guardrail on the highway. The front end needs repair and the vehicle had to be towed.",
      () => "A truck changed lanes into me at the intersection. My vehicle's fender and headlight are smashed.",
      () => "I backed into a pole in a parking garage and the rear bumper and tail light of the car are broken.",
      (r) => `A deer ran across the road near ${r.pick(CITIES)} and I hit it. The hood and windshield of my car are damaged.`,
      () => "Another driver ran a stop sign and collided with my car. The passenger side is crushed and the airbags went off.",
    ],
    misleading: [
      // Auto cover for a car under a tree: the words are a storm-damaged house.
      () => "During the storm a big tree branch came down and crushed the roof while it was parked in front of the house.",
      () => "Hail broke the back window and left dents all over the roof; it was sitting outside our home during the storm.",
    ],
  },
  property: {
    plain: [
      () => "A pipe burst under the kitchen sink and water flooded the floor and damaged the cabinets.",
      () => "There was a small fire in the kitchen. Smoke damage to the walls and ceiling, and the stove is ruined.",
      () => "Heavy rain caused a leak in the roof and now there is a stain and mold on the bedroom ceiling.",
      () => "Someone broke into our house while we were at work and took the TV, jewelry and a laptop.",
      () => "The basement flooded after the storm and the furniture and carpet are ruined.",
      () => "A tree fell on the fence and part of the garage roof during high winds.",
      () => "Our water heater leaked overnight and soaked the hallway floor and the bottom of the walls.",
    ],
    misleading: [
      // Home contents stolen from a car are a property claim; the words say auto.
      () => "Someone smashed the window of my car in our driveway and stole my laptop and camera from the back seat.",
      () => "My bike was stolen from the rack outside the train station even though it was locked.",
    ],
  },
  health: {
    plain: [
      () => "I had to go to the emergency room for a broken wrist and the hospital sent a bill for the x-ray and cast.",
      () => "I had knee surgery last month and the clinic is asking me to pay the remaining balance.",
      () => "My daughter needed stitches at urgent care after a fall at school, the doctor also prescribed antibiotics.",
      () => "I am claiming for physiotherapy sessions after my back injury, the therapist invoices are attached.",
      () => "The pharmacy charged me full price for the prescription medication for my treatment.",
      () => "Dental emergency: I cracked a tooth and the dentist had to do a root canal.",
    ],
    misleading: [
      // A medical bill that is really a liability matter for the other side.
      () => "I got food poisoning after dinner at a restaurant and spent the night on a drip; I want the cost covered.",
    ],
  },
  travel: {
    plain: [
      (r) => `My flight to ${r.pick(DESTINATIONS)} was cancelled and I had to pay for a hotel and a new ticket.`,
      (r) => `The airline lost my luggage on the way to ${r.pick(DESTINATIONS)}; I had to buy clothes and toiletries.`,
      (r) => `We had to cancel our vacation to ${r.pick(DESTINATIONS)} because my mother got sick, and the booking is non-refundable.`,
      (r) => `My passport and wallet were stolen at the hotel in ${r.pick(DESTINATIONS)} and I had to change my flights home.`,
      () => "Our connecting flight was delayed overnight and the airline would not pay for the hotel at the airport.",
    ],
    misleading: [
      // Medical emergencies abroad are travel claims; every word says health.
      (r) => `While skiing in ${r.pick(DESTINATIONS)} I broke my ankle. I was taken by ambulance to the hospital and needed surgery before I could come back.`,
      (r) => `I got a bad infection in ${r.pick(DESTINATIONS)} and was admitted to hospital for three days; the doctor's bill and medication were expensive.`,
    ],
  },
  liability: {
    plain: [
      () => "Our dog bit the neighbour's kid and their parents are asking us to cover the bills.",
      (r) => `A customer slipped on a wet floor in my ${r.pick(BUSINESSES)} and is threatening to sue.`,
      () => "A delivery driver fell on our icy front steps and says we are responsible for his injuries.",
      () => "My son hit a baseball through the neighbor's window and they want us to pay for it.",
      (r) => `A visitor tripped over a loose tile at our ${r.pick(BUSINESSES)} and their lawyer sent us a letter.`,
    ],
    misleading: [
      // Damage we caused to someone else's home: liability, worded like our own water leak.
      () => "Water from a leak in our bathroom came through the ceiling of the apartment below and damaged the kitchen there.",
      () => "I lost control of my shopping cart and it hit a parked car, the owner wants me to pay for the scratches.",
    ],
  },
  cyber: {
    plain: [
      () => "Our office computers were hit by ransomware and all our files are encrypted; the IT firm charged us to restore the systems.",
      () => "Someone phished our bookkeeper and we paid a fake invoice to a fraudulent account.",
      () => "A hacker got into our online store and card details were leaked, so we need to notify everyone affected.",
      (r) => `Our website was taken down by an attack and the ${r.pick(BUSINESSES)} lost several days of online orders.`,
      () => "Scammers hacked our business email and sent invoices with their bank details to our clients.",
    ],
    misleading: [
      // A data breach that reads like a theft from the shop.
      (r) => `A laptop with customer records was stolen from our ${r.pick(BUSINESSES)} and we had to report a data breach.`,
    ],
  },
};

/** Small talk that carries no claim information but does carry words (some of them misleading). */
const CHATTER: readonly string[] = [
  "I've been a customer with you for years.",
  "Please let me know what you need from me.",
  "Photos are attached.",
  "Sorry for the long email.",
  "I'm really stressed about this.",
  "I tried calling but was on hold for an hour.",
  "My neighbour said I should contact you right away.",
  "Can someone call me back?",
  "I hope this is the right address for this.",
];

/** A narrative and whether it was drawn from the misleading set. */
export interface Narrative {
  text: string;
  misleading: boolean;
}

/** Picks a narrative for `type`; `misleadingRate` is the chance of a misleadingly worded one. */
export function narrativeFor(type: ClaimType, rng: Rng, misleadingRate: number): Narrative {
  const set = NARRATIVES[type];
  const misleading = set.misleading.length > 0 && rng.chance(misleadingRate);
  const text = rng.pick(misleading ? set.misleading : set.plain)(rng);
  return { text, misleading };
}

/** Zero to two chatter sentences. */
export function chatter(rng: Rng): string[] {
  const n = rng.weighted({ zero: 50, one: 35, two: 15 });
  const out: string[] = [];
  const count = n === "zero" ? 0 : n === "one" ? 1 : 2;
  while (out.length < count) {
    const s = rng.pick(CHATTER);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}
