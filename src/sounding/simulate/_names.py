"""Name pools for synthetic people (common US given and family names; ASCII only).

Pools differ by broad background so that a roster reads like a real district's, not like a
random-string generator's. Nothing here identifies anyone: names are drawn independently.
"""

from __future__ import annotations

GIVEN_FEMALE = (
    "Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper",
    "Evelyn", "Abigail", "Emily", "Ella", "Elizabeth", "Camila", "Luna", "Sofia", "Avery",
    "Mila", "Aria", "Scarlett", "Penelope", "Layla", "Chloe", "Victoria", "Madison", "Eleanor",
    "Grace", "Nora", "Riley", "Zoey", "Hannah", "Hazel", "Lily", "Ellie", "Violet", "Lillian",
    "Zoe", "Stella", "Aurora", "Natalie", "Emilia", "Everly", "Leah", "Aubrey", "Willow",
    "Addison", "Lucy", "Audrey", "Bella", "Nevaeh", "Claire", "Skylar", "Maya", "Naomi",
    "Valentina", "Ximena", "Jimena", "Daniela", "Mariana", "Gabriela", "Valeria", "Lucia",
    "Aaliyah", "Imani", "Jasmine", "Kennedy", "Destiny", "Aisha", "Mei", "Ananya", "Priya",
    "Jia", "Hana", "Yuna", "Linh", "Fatima", "Amara",
)

GIVEN_MALE = (
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry",
    "Theodore", "Jack", "Levi", "Alexander", "Jackson", "Mateo", "Daniel", "Michael", "Mason",
    "Sebastian", "Ethan", "Logan", "Owen", "Samuel", "Jacob", "Asher", "Aiden", "John",
    "Joseph", "Wyatt", "David", "Leo", "Luke", "Julian", "Hudson", "Grayson", "Matthew",
    "Ezra", "Gabriel", "Carter", "Isaac", "Jayden", "Luca", "Anthony", "Dylan", "Lincoln",
    "Thomas", "Maverick", "Elias", "Josiah", "Charles", "Caleb", "Christopher", "Santiago",
    "Diego", "Carlos", "Miguel", "Alejandro", "Angel", "Jose", "Juan", "Emiliano", "Adrian",
    "Malik", "Jamal", "Darius", "Isaiah", "Jeremiah", "Xavier", "Andre", "Kai", "Ryan",
    "Arjun", "Aarav", "Minh", "Wei", "Hiroshi", "Omar", "Yusuf",
)

FAMILY_GENERAL = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill",
    "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips",
    "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook",
    "Rogers", "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Bell", "Kelly", "Howard",
    "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "James",
    "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Powell", "Jenkins",
    "Perry", "Russell", "Sullivan", "Fisher", "Henderson", "Coleman", "Simmons", "Patterson",
    "Washington", "Jordan", "Reynolds", "Hamilton", "Graham", "Wallace", "O'Brien", "Olson",
    "Larson", "Schmidt", "Meyer", "Weber", "Novak", "Kowalski",
)

FAMILY_HISPANIC = (
    "Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez",
    "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Reyes", "Morales", "Cruz",
    "Ortiz", "Gutierrez", "Chavez", "Ramos", "Ruiz", "Alvarez", "Mendoza", "Castillo",
    "Jimenez", "Moreno", "Romero", "Herrera", "Medina", "Aguilar", "Vargas", "Castro",
    "Guzman", "Fernandez", "Salazar", "Soto", "Delgado", "Pena", "Rios", "Vasquez", "Nunez",
)

FAMILY_ASIAN = (
    "Nguyen", "Tran", "Le", "Pham", "Kim", "Lee", "Park", "Choi", "Chen", "Wang", "Li",
    "Zhang", "Liu", "Yang", "Huang", "Wu", "Patel", "Shah", "Singh", "Kumar", "Gupta",
    "Sharma", "Tanaka", "Sato", "Suzuki", "Yamamoto", "Santos", "Reyes", "Cruz", "Bautista",
    "Vu", "Hoang", "Khan", "Ali", "Ahmed", "Hussain",
)

FAMILY_NATIVE = (
    "Begay", "Yazzie", "Benally", "Tsosie", "Nez", "Harjo", "Tso", "Whitehorse", "Redcloud",
    "Kealoha", "Kahale", "Akana", "Fonoti", "Tuilagi",
)

SCHOOL_NAMES = (
    "Aspen", "Bluebell", "Cedar Ridge", "Columbine", "Eagle Crest", "Evergreen", "Foothills",
    "Golden Valley", "Highland", "Juniper", "Lakeview", "Lincoln", "Maple Grove", "Meadowlark",
    "Mesa Verde", "Mountain View", "Oak Park", "Pine Creek", "Prairie Wind", "Red Rock",
    "Ridgeview", "Riverside", "Roosevelt", "Sagebrush", "Silver Spruce", "Stony Brook",
    "Sunrise", "Timberline", "Washington", "Westwood", "Willow Springs", "Cottonwood",
    "Clear Creek", "Bear Valley", "Fox Hollow", "Hidden Lake", "Kennedy", "Jefferson",
    "Garfield", "Cesar Chavez", "Sojourner Truth", "Mae Jemison", "Dolores Huerta",
    "Sandpiper", "Heritage", "Summit", "Canyon", "Alder", "Hawthorne", "Skyline",
)
