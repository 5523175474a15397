/**
 * Word lists the generator draws from. Kept apart so the generator reads as logic, and so the
 * lists can grow without touching it. Names are deliberately common: namesakes in the policy
 * book are part of what match-policy has to cope with.
 */

export const FIRST_NAMES = [
  "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
  "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
  "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Margaret", "Donald", "Sandra",
  "Steven", "Ashley", "Paul", "Kimberly", "Andrew", "Emily", "Joshua", "Donna", "Kenneth", "Michelle",
  "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie",
  "Jason", "Rebecca", "Edward", "Laura", "Jeffrey", "Sharon", "Ryan", "Cynthia", "Jacob", "Kathleen",
  "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna", "Stephen", "Brenda",
  "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole", "Brandon", "Helen", "Benjamin", "Samantha",
  "Priya", "Wei", "Mohammed", "Aisha", "Hiroshi", "Sofia", "Mateo", "Olga", "Kwame", "Ines",
] as const;

export const LAST_NAMES = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
  "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
  "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
  "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
  "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
  "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
  "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
  "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
  "Okafor", "Novak", "Schmidt", "Rossi", "Kowalski", "Haddad", "Tanaka", "Singh", "Larsen", "Dubois",
] as const;

export const MAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "mail.example.net"] as const;

export const CITIES = ["Denver", "Austin", "Portland", "Chicago", "Tampa", "Columbus", "Phoenix", "Boston", "Raleigh", "Omaha"] as const;

export const DESTINATIONS = ["Spain", "Mexico", "Japan", "Italy", "Iceland", "Thailand", "Portugal", "Canada", "Greece", "Peru"] as const;

export const BUSINESSES = ["bakery", "dental practice", "print shop", "coffee shop", "accounting firm", "yoga studio", "bike shop", "florist"] as const;

/** Words the typo injector leaves alone: mangling them would change the meaning, not the noise. */
export const PROTECTED_WORDS = new Set(["no", "not", "never", "policy", "amount", "date"]);

/** Spelled-out amounts the generator writes and the extractor can read. */
export const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60,
  seventy: 70, eighty: 80, ninety: 90,
};
