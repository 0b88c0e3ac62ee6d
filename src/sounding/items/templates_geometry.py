"""Templates for geometry, measurement and data (K -> Algebra I's S-ID).

Shapes and attributes are asked about through facts that vary with the parameters (how many
sides, which shape, which axis); measurement and data items compute the quantity itself.
"""

from __future__ import annotations

import statistics
from fractions import Fraction as F
from random import Random

from sounding.items.model import Draft, choice, fmt, number, point
from sounding.items.registry import template
from sounding.items.templates_number import THINGS, who

SHAPES = {"triangle": 3, "square": 4, "rectangle": 4, "pentagon": 5, "hexagon": 6,
          "octagon": 8, "trapezoid": 4, "rhombus": 4}
SOLIDS = ("cube", "sphere", "cone", "cylinder")
FLAT = ("circle", "triangle", "square", "rectangle", "hexagon")


# ============================================================================ K-2 geometry


@template("K.G.A.1", "conceptual")
def _position(r: Random) -> Draft:
    a, b = r.sample(("cat", "box", "ball", "chair", "lamp"), 2)
    rel, opp = r.choice((("above", "below"), ("in front of", "behind"), ("beside", "beside")))
    return choice(f"The {a} is {rel} the {b}. So the {b} is ___ the {a}.", opp,
                  [x for x in ("above", "below", "in front of", "behind", "beside") if x != opp]
                  [:3], r)


@template("K.G.A.2", "conceptual")
def _name_shape(r: Random) -> Draft:
    name = r.choice(("triangle", "square", "pentagon", "hexagon"))
    n = SHAPES[name]
    turned = r.choice(("turned on its side", "very small", "very large", "upside down"))
    return choice(f"A flat shape with {n} straight sides, all the same length, is {turned}. "
                  "What shape is it?", name,
                  [s for s in ("triangle", "square", "pentagon", "hexagon") if s != name], r)


@template("K.G.A.3", "conceptual")
def _flat_solid(r: Random) -> Draft:
    s = r.choice(SOLIDS + FLAT)
    return choice(f"Is a {s} flat (two-dimensional) or solid (three-dimensional)?",
                  "solid" if s in SOLIDS else "flat", ["flat", "solid"], r)


@template("K.G.B.4", "conceptual")
def _count_corners(r: Random) -> Draft:
    name = r.choice(("triangle", "square", "rectangle", "hexagon"))
    return number(f"How many corners (vertices) does a {name} have?", SHAPES[name],
                  wrong=(SHAPES[name] + 1, SHAPES[name] - 1))


@template("K.G.B.5", "conceptual")
def _sticks(r: Random) -> Draft:
    name = r.choice(("triangle", "square", "pentagon", "hexagon"))
    return number(f"How many sticks do you need to build a {name} (one stick per side)?",
                  SHAPES[name], wrong=(SHAPES[name] + 1,))


@template("K.G.B.6", "conceptual")
def _compose(r: Random) -> Draft:
    big, small, n = r.choice((("rectangle", "squares", 2), ("square", "triangles", 2),
                              ("hexagon", "triangles", 6), ("rectangle", "triangles", 2)))
    return number(f"How many same-size {small} can you join to make this {big}: "
                  f"{' + '.join([small[:-1]] * n)}?", n, wrong=(n + 1, n * 2))


@template("1.G.A.1", "conceptual")
def _defining(r: Random) -> Draft:
    color = r.choice(("red", "blue", "green", "yellow"))
    size = r.choice(("big", "small", "tilted"))
    sides = r.choice((3, 4))
    name = "triangle" if sides == 3 else "four-sided shape"
    return choice(f"A {size} {color} shape is closed and has {sides} straight sides. What makes "
                  f"it a {name}?", f"it has {sides} sides",
                  [f"it is {color}", f"it is {size}", "it is pointing up"], r)


@template("1.G.A.2", "conceptual")
def _compose2(r: Random) -> Draft:
    k = r.choice((2, 4))
    part = r.choice(("half-circles", "quarter-circles")) if k else ""
    n = 2 if part == "half-circles" else 4
    return number(f"How many {part} make one whole circle?", n, wrong=(6 - n, n + 1))


@template("1.G.A.3", "conceptual")
def _halves(r: Random) -> Draft:
    parts = r.choice((2, 4))
    word = "halves" if parts == 2 else "fourths"
    return number(f"A pizza is cut into {word}. How many equal pieces is that?", parts,
                  wrong=(6 - parts, parts * 2))


@template("1.MD.A.1", "conceptual")
def _order_length(r: Random) -> Draft:
    a, b, c = r.sample(("ribbon", "pencil", "string", "rope"), 3)
    return choice(f"The {a} is longer than the {b}. The {b} is longer than the {c}. Which is "
                  "the longest?", a, [b, c], r)


@template("1.MD.A.1", "conceptual")
def _indirect(r: Random) -> Draft:
    a, b = r.sample(("desk", "door", "rug", "table", "bench"), 2)
    return choice(f"A string is longer than the {a} but shorter than the {b}. Which is "
                  "longer?", f"the {b}", [f"the {a}", "they are the same"], r)


@template("1.MD.A.2", "procedural")
def _units(r: Random) -> Draft:
    n = r.randint(3, 15)
    return number(f"A book is as long as {n} paper clips laid end to end with no gaps. How many "
                  "paper clips long is the book?", n, units=("paper clips",), wrong=(n + 1,))


@template("1.MD.A.2", "conceptual")
def _units_gap(r: Random) -> Draft:
    n = r.randint(4, 12)
    return number(f"A pencil is {n} cubes long. How many cubes long are two of those pencils "
                  "laid end to end?", 2 * n, units=("cubes",), wrong=(n + 2, n))


@template("1.MD.B.3", "procedural")
def _clock_half(r: Random) -> Draft:
    h = r.randint(1, 12)
    half = r.random() < 0.5
    return choice(f"The hour hand is {'halfway between ' + str(h) + ' and ' + str(h % 12 + 1) if half else 'on ' + str(h)}"  # noqa: E501
                  f" and the minute hand is on {'6' if half else '12'}. What time is it?",
                  f"{h}:{'30' if half else '00'}",
                  [f"{h}:{'00' if half else '30'}", f"{h % 12 + 1}:{'30' if half else '00'}",
                   f"6:{h:02d}" if half else f"12:{h:02d}"], r)


@template("1.MD.C.4", "application")
def _tally(r: Random) -> Draft:
    a, b, c = r.randint(2, 9), r.randint(2, 9), r.randint(2, 9)
    q = r.choice(("total", "more"))
    table = f"Cats: {a}, Dogs: {b}, Fish: {c}"
    if q == "total":
        return number(f"Pets in a class — {table}. How many pets in all?", a + b + c,
                      wrong=(a + b,))
    return number(f"Pets in a class — {table}. How many more cats than fish are there? (Write "
                  "a negative number if there are fewer.)", a - c, wrong=(c - a, a + c))


@template("2.G.A.1", "conceptual")
def _angles_shape(r: Random) -> Draft:
    name = r.choice(("triangle", "pentagon", "hexagon", "quadrilateral"))
    n = {"triangle": 3, "pentagon": 5, "hexagon": 6, "quadrilateral": 4}[name]
    return number(f"How many angles does a {name} have?", n, wrong=(n + 1, n - 1))


@template("2.G.A.2", "application")
def _partition_rect(r: Random) -> Draft:
    a, b = r.randint(2, 6), r.randint(2, 6)
    return number(f"A rectangle is split into {a} rows and {b} columns of same-size squares. "
                  "How many squares?", a * b, wrong=(a + b,))


@template("2.G.A.3", "conceptual")
def _thirds(r: Random) -> Draft:
    n = r.choice((2, 3, 4))
    word = {2: "halves", 3: "thirds", 4: "fourths"}[n]
    return number(f"A rectangle is cut into {word}. How many of the equal parts make the "
                  "whole rectangle?", n, wrong=(n + 1, 1))


@template("2.MD.A.1", "procedural")
def _ruler(r: Random) -> Draft:
    s, e = r.randint(0, 4), r.randint(6, 14)
    return number(f"A crayon lies along a ruler from the {s}-inch mark to the {e}-inch mark. "
                  "How long is it, in inches?", e - s, units=("inches", "in"), wrong=(e, e + s))


@template("2.MD.A.1", "conceptual")
def _tool(r: Random) -> Draft:
    thing, tool = r.choice((("the length of a classroom", "a measuring tape"),
                            ("the length of a pencil", "a ruler"),
                            ("the length of a hallway", "a measuring tape"),
                            ("the width of a book", "a ruler")))
    return choice(f"Which tool is best for measuring {thing}?", tool,
                  ["a ruler", "a measuring tape", "a thermometer", "a scale"], r)


@template("2.MD.A.2", "conceptual")
def _two_units(r: Random) -> Draft:
    n = r.randint(2, 9)
    return number(f"A table is {n} feet long. One foot is 12 inches. How many inches long is "
                  "it?", 12 * n, units=("inches",), wrong=(n + 12, n))


@template("2.MD.A.2", "conceptual")
def _bigger_unit(r: Random) -> Draft:
    n = r.randint(2, 9)
    a, b, ans = r.choice((("meters", "centimeters", "larger"), ("centimeters", "meters",
                                                               "smaller"),
                          ("feet", "inches", "larger"), ("inches", "feet", "smaller")))
    return choice(f"A shelf measures {n} {a}. Measured in {b}, is the number larger or smaller "
                  f"than {n}?", ans, ["larger", "smaller", "the same"], r)


@template("2.MD.A.3", "conceptual")
def _estimate(r: Random) -> Draft:
    thing, ans, wrongs = r.choice((("a door's height", "about 2 meters",
                                    ["about 2 centimeters", "about 20 meters"]),
                                   ("a pencil's length", "about 7 inches",
                                    ["about 7 feet", "about 70 inches"]),
                                   ("a car's length", "about 4 meters",
                                    ["about 4 centimeters", "about 40 meters"]),
                                   ("a paper clip's length", "about 3 centimeters",
                                    ["about 3 meters", "about 30 centimeters"])))
    return choice(f"Which is the best estimate of {thing}?", ans, wrongs, r)


@template("2.MD.A.4", "application")
def _longer_by(r: Random) -> Draft:
    a, b = r.randint(10, 40), r.randint(2, 9)
    return number(f"A red string is {a + b} cm long. A blue string is {a} cm long. How much "
                  "longer is the red string, in cm?", b, units=("cm",), wrong=(2 * a + b,))


@template("2.MD.A.4", "application")
def _longer_by2(r: Random) -> Draft:
    a, b = r.randint(12, 60), r.randint(10, 30)
    return number(f"A snake is {a + b} inches long and a lizard is {a} inches long. How many "
                  "inches longer is the snake?", b, units=("inches",), wrong=(2 * a + b,))


@template("2.MD.B.5", "application")
def _length_story(r: Random) -> Draft:
    a, b = r.randint(20, 60), r.randint(10, 39)
    return number(f"{who(r)[0]} has a ribbon {a} cm long and adds a piece {b} cm long. How "
                  "long is the ribbon now, in cm?", a + b, units=("cm",), wrong=(a - b,))


@template("2.MD.B.5", "application")
def _length_story_sub(r: Random) -> Draft:
    a = r.randint(50, 99)
    b = r.randint(10, a - 10)
    return number(f"A board is {a} inches long. {b} inches are cut off. How long is it now, in "
                  "inches?", a - b, units=("inches",), wrong=(a + b,))


@template("2.MD.B.6", "conceptual")
def _number_line_whole(r: Random) -> Draft:
    a, b = r.randint(5, 50), r.randint(3, 30)
    return number(f"On a number line, start at {a} and jump {b} to the right. Where do you "
                  "land?", a + b, wrong=(a - b, a + b + 1))


@template("2.MD.B.6", "conceptual")
def _number_line_diff(r: Random) -> Draft:
    a, b = r.randint(5, 50), r.randint(3, 30)
    return number(f"How far apart are {a} and {a + b} on a number line?", b, wrong=(2 * a + b,))


@template("2.MD.C.7", "procedural")
def _clock5(r: Random) -> Draft:
    h, m = r.randint(1, 12), r.randint(0, 11) * 5
    return number(f"The hour hand is just past {h} and the minute hand points at {m // 5 or 12}."
                  " How many minutes past the hour is it?", m, units=("minutes",),
                  wrong=(m // 5 if m else 12, m + 5))


@template("2.MD.C.8", "application")
def _coins(r: Random) -> Draft:
    q, d, n, p = r.randint(0, 3), r.randint(0, 4), r.randint(0, 3), r.randint(0, 4)
    if q + d + n + p == 0:
        d = 2
    return number(f"You have {q} quarters, {d} dimes, {n} nickels and {p} pennies. How many "
                  "cents do you have?", 25 * q + 10 * d + 5 * n + p, units=("cents", "¢"),
                  wrong=(q + d + n + p,))


@template("2.MD.D.9", "application")
def _line_plot(r: Random) -> Draft:
    xs = [r.randint(3, 9) for _ in range(7)]
    return number(f"Lengths of 7 pencils (inches): {', '.join(map(str, xs))}. How many "
                  f"pencils are {max(xs)} inches long?", xs.count(max(xs)),
                  wrong=(max(xs), len(xs)))


@template("2.MD.D.10", "application")
def _bar_graph(r: Random) -> Draft:
    vals = r.sample(range(2, 15), 4)
    cats = ("red", "blue", "green", "yellow")
    data = ", ".join(f"{c}: {v}" for c, v in zip(cats, vals, strict=True))
    return number(f"A bar graph shows favorite colors — {data}. How many more chose red than "
                  "green? (Negative if fewer.)", vals[0] - vals[2], wrong=(vals[0] + vals[2],))


# ============================================================================ grade 3-5 measurement


@template("3.G.A.1", "conceptual")
def _quadrilaterals(r: Random) -> Draft:
    name = r.choice(("rhombus", "rectangle", "square", "trapezoid", "parallelogram"))
    return choice("Rhombuses, rectangles and squares share an attribute: four sides. Which of "
                  "these is also a quadrilateral?", name,
                  r.sample(["triangle", "pentagon", "circle", "hexagon"], 3), r)


@template("3.G.A.2", "conceptual")
def _equal_area(r: Random) -> Draft:
    n = r.choice((2, 3, 4, 6, 8))
    return number(f"A shape is split into {n} parts with equal area. What fraction of the "
                  "whole is each part?", F(1, n), wrong=(n, F(1, n + 1)))


@template("3.MD.A.1", "application")
def _elapsed(r: Random) -> Draft:
    h, m = r.randint(1, 10), r.randint(0, 50)
    d = r.randint(5, 55)
    end = h * 60 + m + d
    return number(f"A class starts at {h}:{m:02d} and ends at {end // 60}:{end % 60:02d}. How "
                  "many minutes long is it?", d, units=("minutes", "min"), wrong=(d + 40,))


@template("3.MD.A.1", "application")
def _elapsed2(r: Random) -> Draft:
    a, b = r.randint(10, 35), r.randint(10, 25)
    return number(f"{who(r)[0]} reads for {a} minutes and then draws for {b} minutes. How many "
                  "minutes in all?", a + b, units=("minutes",), wrong=(a - b,))


@template("3.MD.A.2", "application")
def _mass(r: Random) -> Draft:
    a, n = r.randint(2, 9), r.randint(2, 9)
    return number(f"Each bag of rice has a mass of {a} kilograms. What is the mass of {n} bags, "
                  "in kilograms?", a * n, units=("kilograms", "kg"), wrong=(a + n,))


@template("3.MD.A.2", "application")
def _liquid(r: Random) -> Draft:
    n, k = r.randint(2, 9), r.randint(2, 9)
    return number(f"{n * k} liters of water are poured equally into {n} buckets. How many "
                  "liters are in each?", k, units=("liters", "l"), wrong=(n * k - n,))


@template("3.MD.B.3", "application")
def _scaled_graph(r: Random) -> Draft:
    scale = r.choice((2, 5, 10))
    a, b = r.randint(2, 8), r.randint(2, 8)
    return number(f"In a picture graph each ★ means {scale} books. Ann has {'★' * a}, Bo has "
                  f"{'★' * b}. How many more books does Ann have than Bo? (Negative if fewer.)",
                  scale * (a - b), wrong=(a - b,))


@template("3.MD.B.4", "application")
def _line_plot_frac(r: Random) -> Draft:
    xs = [F(r.randint(8, 16), 4) for _ in range(6)]
    return number(f"Measured lengths (inches): {', '.join(fmt(x) for x in xs)}. How many are "
                  f"longer than {fmt(F(12, 4))} inches?", sum(x > 3 for x in xs),
                  wrong=(sum(x >= 3 for x in xs) + 1,))


@template("3.MD.C.5", "conceptual")
def _unit_square(r: Random) -> Draft:
    n = r.randint(4, 30)
    return number(f"A shape is covered by {n} unit squares with no gaps or overlaps. What is "
                  "its area, in square units?", n, units=("square units",), wrong=(n + 4,))


@template("3.MD.C.5", "conceptual")
def _unit_square_b(r: Random) -> Draft:
    a, b = r.randint(2, 6), r.randint(2, 6)
    return number(f"Two shapes are covered by {a} and {b} unit squares. Together, what area "
                  "do they cover, in square units?", a + b, wrong=(a * b,))


@template("3.MD.C.6", "procedural")
def _count_squares(r: Random) -> Draft:
    a, b = r.randint(2, 5), r.randint(2, 6)
    grid = "\n".join("□ " * b for _ in range(a))
    return number(f"Each □ is 1 square cm. What is the area of this shape, in square cm?\n"
                  f"{grid}", a * b, units=("square cm", "cm2", "cm^2"),
                  wrong=(2 * (a + b), a + b))


@template("3.MD.C.7", "procedural")
def _area_rect(r: Random) -> Draft:
    a, b = r.randint(2, 12), r.randint(2, 12)
    return number(f"A rectangle is {a} m by {b} m. What is its area, in square meters?", a * b,
                  units=("square meters", "m2", "m^2"), wrong=(2 * (a + b), a + b))


@template("3.MD.C.7", "conceptual")
def _area_composite(r: Random) -> Draft:
    a, b, c = r.randint(2, 6), r.randint(2, 6), r.randint(2, 6)
    return number(f"Two rectangles, {a} by {b} and {a} by {c}, are put side by side to make one "
                  f"{a} by {b + c} rectangle. What is its area?", a * (b + c),
                  wrong=(a * b + c, a + b + c))


@template("3.MD.D.8", "application")
def _perimeter(r: Random) -> Draft:
    sides = [r.randint(2, 15) for _ in range(r.choice((3, 4, 5)))]
    return number(f"A polygon has sides {', '.join(map(str, sides))} cm. What is its "
                  "perimeter, in cm?", sum(sides), units=("cm",), wrong=(sum(sides) - sides[0],))


@template("4.G.A.1", "conceptual")
def _angle_type(r: Random) -> Draft:
    a = r.choice((r.randint(10, 85), 90, r.randint(95, 175)))
    t = "acute" if a < 90 else "right" if a == 90 else "obtuse"
    return choice(f"An angle measures {a}°. What kind of angle is it?", t,
                  ["acute", "right", "obtuse"], r)


@template("4.G.A.2", "conceptual")
def _classify(r: Random) -> Draft:
    name, pairs = r.choice((("rectangle", 2), ("trapezoid", 1), ("triangle", 0),
                            ("parallelogram", 2), ("square", 2), ("pentagon", 0)))
    if name == "pentagon":
        pairs = 0
    return number(f"How many pairs of parallel sides does a {name} (that is not a special "
                  "case of another shape) have?", pairs, wrong=(pairs + 1,))


@template("4.G.A.3", "conceptual")
def _symmetry(r: Random) -> Draft:
    name, n = r.choice((("square", 4), ("rectangle that is not a square", 2),
                        ("equilateral triangle", 3), ("regular hexagon", 6),
                        ("regular pentagon", 5)))
    return number(f"How many lines of symmetry does a {name} have?", n, wrong=(n + 2, n - 1))


@template("4.MD.A.1", "procedural")
def _convert(r: Random) -> Draft:
    n = r.randint(2, 12)
    big, small, k = r.choice((("kilometers", "meters", 1000), ("meters", "centimeters", 100),
                              ("kilograms", "grams", 1000), ("pounds", "ounces", 16),
                              ("hours", "minutes", 60), ("liters", "milliliters", 1000)))
    return number(f"How many {small} are in {n} {big}?", n * k, units=(small,),
                  wrong=(n * k // 10, n + k))


@template("4.MD.A.2", "application")
def _money_story(r: Random) -> Draft:
    a, n, c = r.randint(2, 9), r.randint(2, 6), r.randint(20, 50)
    return number(f"{who(r)[0]} has {c} dollars and buys {n} books at {a} dollars each. How "
                  "many dollars are left?", c - a * n, units=("dollars",),
                  wrong=(c - a - n, a * n))


@template("4.MD.A.2", "application")
def _distance_story(r: Random) -> Draft:
    a = r.randint(2, 9)
    k = r.randint(2, 9)
    return number(f"A runner goes {a * 100 + 50} meters each lap. How many meters in {k} "
                  "laps?", (a * 100 + 50) * k, units=("meters",), wrong=(a * 100 * k,))


@template("4.MD.A.3", "application")
def _rect_width(r: Random) -> Draft:
    w, length = r.randint(3, 15), r.randint(4, 20)
    return number(f"A rectangular room has area {w * length} square feet and length {length} "
                  "feet. What is its width, in feet?", w, units=("feet",),
                  wrong=(w * length - length,))


@template("4.MD.B.4", "application")
def _line_plot_eighths(r: Random) -> Draft:
    xs = [F(r.randint(1, 8), 8) for _ in range(5)]
    return number(f"Measured lengths (inches): {', '.join(str(x) for x in xs)}. What is the "
                  "difference between the longest and the shortest?", max(xs) - min(xs),
                  wrong=(max(xs),))


@template("4.MD.C.5", "conceptual")
def _degrees_turn(r: Random) -> Draft:
    n = r.choice((2, 3, 4, 6, 8, 12))
    return number(f"A full turn is 360 degrees. How many degrees is $1/{n}$ of a full turn?",
                  360 // n, units=("degrees", "°"), wrong=(n, 360 * n))


@template("4.MD.C.6", "procedural")
def _protractor(r: Random) -> Draft:
    a, b = sorted(r.sample(range(0, 181, 5), 2))
    return number(f"On a protractor, one ray of an angle passes through {a}° and the other "
                  f"through {b}°. What is the angle's measure, in degrees?", b - a,
                  units=("degrees", "°"), wrong=(a + b,))


@template("4.MD.C.7", "procedural")
def _angle_add(r: Random) -> Draft:
    whole = r.randint(40, 170)
    a = r.randint(10, whole - 10)
    return number(f"An angle of {whole}° is split into two angles. One is {a}°. What is the "
                  "other, in degrees?", whole - a, units=("degrees", "°"), wrong=(whole + a,))


@template("5.G.A.1", "conceptual")
def _coord_read(r: Random) -> Draft:
    x, y = r.randint(0, 9), r.randint(0, 9)
    return point(f"From the origin, go {x} units right and {y} units up. What are the "
                 "coordinates of that point?", x, y, wrong=((y, x),))


@template("5.G.A.2", "application")
def _coord_graph(r: Random) -> Draft:
    s = r.randint(1, 5)
    x = r.randint(1, 8)
    return point(f"A plant grows {s} cm each week. Graph (weeks, height) starting at (0, 0). "
                 f"What point shows week {x}?", x, s * x, wrong=((s * x, x), (x, s + x)))


@template("5.G.B.3", "conceptual")
def _subcategory(r: Random) -> Draft:
    fact, cat = r.choice((("All rectangles have four right angles. Squares are rectangles.",
                           "Squares have four right angles."),
                          ("All parallelograms have two pairs of parallel sides. Rhombuses are "
                           "parallelograms.", "Rhombuses have two pairs of parallel sides.")))
    return choice(f"{fact} Which must be true?", cat,
                  ["Squares have no right angles.", "Rhombuses have one pair of parallel sides.",
                   "Every rectangle is a square."], r)


@template("5.G.B.4", "conceptual")
def _hierarchy(r: Random) -> Draft:
    q, a = r.choice((("a square", "rectangle"), ("a rectangle", "parallelogram"),
                     ("a rhombus", "parallelogram"), ("an equilateral triangle",
                                                      "isosceles triangle")))
    return choice(f"Which category does {q} always belong to?", a,
                  [x for x in ("rectangle", "parallelogram", "isosceles triangle", "trapezoid",
                               "pentagon") if x != a][:3], r)


@template("5.MD.A.1", "procedural")
def _metric(r: Random) -> Draft:
    n = r.randint(1, 99)
    return number(f"Convert {n} cm to meters.", F(n, 100), units=("m", "meters"),
                  wrong=(n * 100, F(n, 10)))


@template("5.MD.B.2", "application")
def _line_plot_share(r: Random) -> Draft:
    xs = [F(r.choice((1, 2, 3, 4)), 4) for _ in range(4)]
    return number(f"Four beakers hold {', '.join(str(x) for x in xs)} liters. If the water is "
                  "shared equally, how much is in each?", sum(xs) / 4, wrong=(sum(xs),))


@template("5.MD.C.3", "conceptual")
def _unit_cubes(r: Random) -> Draft:
    n = r.randint(5, 40)
    return number(f"A box is filled with {n} unit cubes, no gaps. What is its volume, in "
                  "cubic units?", n, units=("cubic units",), wrong=(n * 6,))


@template("5.MD.C.3", "conceptual")
def _cube_layers(r: Random) -> Draft:
    a, layers = r.randint(4, 12), r.randint(2, 5)
    return number(f"Each layer of a box holds {a} unit cubes and there are {layers} layers. "
                  "What is the volume in cubic units?", a * layers, wrong=(a + layers,))


@template("5.MD.C.4", "procedural")
def _count_cubes(r: Random) -> Draft:
    a, b, c = r.randint(2, 5), r.randint(2, 5), r.randint(2, 4)
    return number(f"A solid is built from cubes: {a} cubes long, {b} wide, {c} tall. How many "
                  "cubic cm if each cube is 1 cubic cm?", a * b * c, wrong=(a + b + c,
                                                                            2 * (a * b + b * c)))


@template("5.MD.C.4", "procedural")
def _count_cubes2(r: Random) -> Draft:
    a, b = r.randint(2, 6), r.randint(2, 6)
    return number(f"One layer of {a} by {b} cubes. How many cubes in one layer?", a * b,
                  wrong=(a + b,))


@template("5.MD.C.5", "application")
def _volume(r: Random) -> Draft:
    a, b, c = r.randint(2, 12), r.randint(2, 12), r.randint(2, 10)
    return number(f"A box is {a} cm by {b} cm by {c} cm. What is its volume, in cubic cm?",
                  a * b * c, units=("cubic cm", "cm3", "cm^3"), wrong=(a + b + c, a * b + c))


@template("5.MD.C.5", "application")
def _volume_add(r: Random) -> Draft:
    v1, v2 = r.randint(10, 60), r.randint(10, 60)
    return number(f"Two boxes have volumes {v1} and {v2} cubic inches. What is their total "
                  "volume?", v1 + v2, wrong=(v1 * v2,))


# ============================================================================ grade 6-8


@template("6.G.A.1", "procedural")
def _triangle_area(r: Random) -> Draft:
    b, h = r.randint(2, 20), r.randint(2, 20)
    return number(f"A triangle has base {b} cm and height {h} cm. What is its area, in square "
                  "cm?", F(b * h, 2), units=("square cm", "cm2"), wrong=(b * h, b + h))


@template("6.G.A.2", "procedural")
def _prism_frac(r: Random) -> Draft:
    a = F(r.randint(1, 5), 2)
    b, c = r.randint(2, 6), r.randint(2, 6)
    return number(f"A prism is ${fmt(a)}$ by {b} by {c} feet. What is its volume, in cubic "
                  "feet?", a * b * c, wrong=(a + b + c,))


@template("6.G.A.3", "application")
def _polygon_side(r: Random) -> Draft:
    x1, x2 = r.sample(range(-8, 9), 2)
    y = r.randint(-8, 8)
    return number(f"A rectangle has vertices $({x1}, {y})$ and $({x2}, {y})$ on one side. How "
                  "long is that side?", abs(x1 - x2), wrong=(abs(x1 + x2) or 1,))


@template("6.G.A.4", "application")
def _surface_area(r: Random) -> Draft:
    a, b, c = r.randint(1, 9), r.randint(1, 9), r.randint(1, 9)
    return number(f"The net of a box is made of rectangles for a {a} by {b} by {c} box. What "
                  "is its surface area?", 2 * (a * b + b * c + a * c),
                  wrong=(a * b * c, a * b + b * c + a * c))


@template("6.SP.A.1", "conceptual")
def _stat_question(r: Random) -> Draft:
    good = r.choice(("How many hours do students in my class sleep?",
                     "How tall are the trees in the park?",
                     "How many pets do families on my street have?"))
    return choice("Which is a statistical question (one that expects variability)?", good,
                  ["How old am I?", "How tall is the school door?",
                   "What is the capital of France?"], r)


@template("6.SP.A.2", "conceptual")
def _range(r: Random) -> Draft:
    xs = [r.randint(1, 40) for _ in range(7)]
    return number(f"Data: {', '.join(map(str, xs))}. What is the range?", max(xs) - min(xs),
                  wrong=(max(xs),))


@template("6.SP.A.3", "conceptual")
def _center_vs_spread(r: Random) -> Draft:
    m = r.choice(("mean", "median", "range", "interquartile range"))
    return choice(f"Is the {m} a measure of center or a measure of variation?",
                  "center" if m in ("mean", "median") else "variation", ["center", "variation"],
                  r)


@template("6.SP.B.4", "procedural")
def _median(r: Random) -> Draft:
    xs = [r.randint(1, 30) for _ in range(r.choice((5, 7, 9)))]
    return number(f"Data: {', '.join(map(str, xs))}. What is the median?",
                  statistics.median(xs), wrong=(xs[len(xs) // 2], F(sum(xs), len(xs))))


@template("6.SP.B.5", "procedural")
def _mean(r: Random) -> Draft:
    xs = [r.randint(1, 20) for _ in range(r.randint(4, 6))]
    return number(f"Data: {', '.join(map(str, xs))}. What is the mean?", F(sum(xs), len(xs)),
                  wrong=(sum(xs), statistics.median(xs) + 1))


@template("6.SP.B.5", "procedural")
def _mad(r: Random) -> Draft:
    m = r.randint(5, 15)
    ds = [r.randint(0, 4) for _ in range(2)]
    xs = [m - ds[0], m + ds[0], m - ds[1], m + ds[1]]
    mad = F(sum(abs(x - m) for x in xs), 4)
    return number(f"Data: {', '.join(map(str, xs))}. The mean is {m}. What is the mean "
                  "absolute deviation?", mad, wrong=(max(xs) - min(xs), sum(ds)))


@template("7.G.A.1", "application")
def _scale_drawing(r: Random) -> Draft:
    s, d = r.randint(2, 20), r.randint(2, 15)
    return number(f"On a map, 1 cm stands for {s} km. Two towns are {d} cm apart on the map. "
                  "How far apart are they, in km?", s * d, units=("km",), wrong=(s + d,))


@template("7.G.A.2", "conceptual")
def _triangle_exists(r: Random) -> Draft:
    a, b = r.randint(2, 10), r.randint(2, 10)
    c = r.choice((a + b + r.randint(0, 3), abs(a - b) + r.randint(1, max(1, a + b - abs(a - b)
                                                                           - 1))))
    ok = a + b > c and a + c > b and b + c > a
    return choice(f"Can sides of length {a}, {b} and {c} form a triangle?", "yes" if ok else "no",
                  ["yes", "no"], r)


@template("7.G.A.3", "conceptual")
def _slice(r: Random) -> Draft:
    solid, cut, shape = r.choice((("a right rectangular prism", "parallel to its base",
                                   "rectangle"),
                                  ("a cylinder", "parallel to its base", "circle"),
                                  ("a cone", "parallel to its base", "circle"),
                                  ("a right rectangular pyramid", "parallel to its base",
                                   "rectangle")))
    return choice(f"What shape do you get when you slice {solid} {cut}?", shape,
                  [x for x in ("rectangle", "circle", "triangle") if x != shape], r)


@template("7.G.B.4", "procedural")
def _circle_area(r: Random) -> Draft:
    rad = r.randint(1, 12)
    q = r.choice(("area", "circumference"))
    val = rad * rad if q == "area" else 2 * rad
    return number(f"A circle has radius {rad}. Its {q} is k·π. What is k?", val,
                  wrong=(2 * rad if q == "area" else rad * rad, rad))


@template("7.G.B.5", "procedural")
def _supplementary(r: Random) -> Draft:
    kind, tot = r.choice((("supplementary", 180), ("complementary", 90)))
    a = r.randint(10, tot - 10)
    return number(f"Two angles are {kind}. One is {a}°. What is the other, in degrees?",
                  tot - a, units=("degrees", "°"), wrong=(270 - tot - a if tot == 180 else
                                                          180 - a,))


@template("7.G.B.6", "application")
def _composite_area(r: Random) -> Draft:
    a, b = r.randint(4, 12), r.randint(4, 12)
    c = r.randint(2, a - 1)
    return number(f"An L-shape is a {a} by {b} rectangle with a {c} by {c} square cut from one "
                  "corner. What is its area?", a * b - c * c, wrong=(a * b, a * b - c))


@template("7.SP.A.1", "conceptual")
def _sample(r: Random) -> Draft:
    pop = r.choice(("students in a school", "voters in a town", "fans at a stadium",
                    "workers in a factory"))
    return choice(f"To learn about all {pop}, which sample is most likely to be "
                  "representative?", f"{pop} chosen at random from all of them",
                  ["the first ten people who arrive", "only the speaker's friends",
                   "volunteers from one club"], r)


@template("7.SP.A.2", "application")
def _infer(r: Random) -> Draft:
    n, k = r.choice((20, 25, 40, 50)), r.randint(2, 10)
    pop = r.choice((400, 500, 800, 1000))
    return number(f"In a random sample of {n} students, {k} walk to school. Estimate how many "
                  f"of the {pop} students walk.", F(k * pop, n), wrong=(k, F(pop, k)))


@template("7.SP.B.3", "application")
def _overlap(r: Random) -> Draft:
    m1, m2, mad = r.randint(50, 70), r.randint(40, 60), r.randint(2, 8)
    return number(f"Two classes' scores have means {m1} and {m2}, each with mean absolute "
                  f"deviation {mad}. The difference of the means is how many MADs? ",
                  F(abs(m1 - m2), mad), wrong=(abs(m1 - m2),))


@template("7.SP.B.4", "application")
def _compare_medians(r: Random) -> Draft:
    a = sorted(r.randint(1, 30) for _ in range(5))
    b = sorted(r.randint(1, 30) for _ in range(5))
    return number(f"Sample A: {', '.join(map(str, a))}. Sample B: {', '.join(map(str, b))}. "
                  "What is (median of A) minus (median of B)?", a[2] - b[2],
                  wrong=(b[2] - a[2] if a[2] != b[2] else 1,))


@template("7.SP.C.5", "conceptual")
def _likely(r: Random) -> Draft:
    p = r.choice((0, F(1, 10), F(1, 2), F(9, 10), 1))
    word = {0: "impossible", F(1, 10): "unlikely", F(1, 2): "neither likely nor unlikely",
            F(9, 10): "likely", 1: "certain"}[p]
    return choice(f"An event has probability {fmt(p)}. How would you describe it?", word,
                  [w for w in ("impossible", "unlikely", "neither likely nor unlikely",
                               "likely", "certain") if w != word][:3], r)


@template("7.SP.C.6", "application")
def _relative_freq(r: Random) -> Draft:
    n = r.choice((50, 100, 200, 400))
    k = r.randint(5, n // 2)
    m = r.choice((600, 1000, 2000))
    return number(f"A cube landed on 6 in {k} of {n} rolls. About how many 6s would you expect "
                  f"in {m} rolls?", F(k * m, n), wrong=(F(m, 6), k))


@template("7.SP.C.7", "procedural")
def _prob_model(r: Random) -> Draft:
    a, b, c = r.randint(1, 9), r.randint(1, 9), r.randint(1, 9)
    return number(f"A bag has {a} red, {b} blue and {c} green marbles. What is the probability "
                  "of drawing a red one?", F(a, a + b + c), wrong=(F(a, b + c), F(1, 3)))


@template("7.SP.C.8", "procedural")
def _compound(r: Random) -> Draft:
    s1, s2 = r.choice((2, 4, 6)), r.choice((2, 6))
    return number(f"A fair {s1}-sided spinner and a fair {s2}-sided die are used once each. "
                  "What is the probability that both show 1?", F(1, s1 * s2),
                  wrong=(F(2, s1 + s2), F(1, s1 + s2)))


@template("8.G.A.1", "conceptual")
def _rigid(r: Random) -> Draft:
    move = r.choice(("rotation", "reflection", "translation"))
    n = r.randint(3, 20)
    return number(f"A segment {n} cm long is moved by a {move}. How long is the image?", n,
                  units=("cm",), wrong=(2 * n, n + 1))


@template("8.G.A.1", "conceptual")
def _rigid_angle(r: Random) -> Draft:
    a = r.randint(20, 160)
    move = r.choice(("rotation", "reflection", "translation"))
    return number(f"An angle of {a}° is moved by a {move}. What is the measure of the image, "
                  "in degrees?", a, units=("degrees", "°"), wrong=(180 - a,))


@template("8.G.A.2", "conceptual")
def _congruent(r: Random) -> Draft:
    moves, ok = r.choice((("a rotation and then a translation", "yes"), ("a reflection", "yes"),
                          ("a translation and then a reflection", "yes"),
                          ("a dilation with scale factor 2", "no"),
                          ("a rotation and then a dilation with scale factor 1/2", "no")))
    return choice(f"Figure B is obtained from figure A by {moves}. Are A and B congruent?",
                  ok, ["yes", "no"], r)


@template("8.G.A.2", "conceptual")
def _congruent_side(r: Random) -> Draft:
    n = r.randint(3, 25)
    moves = r.choice(("a rotation and a reflection", "two translations", "a reflection"))
    return number(f"A is mapped onto B by {moves}. A side of A is {n} cm. How long is the "
                  "matching side of B, in cm?", n, units=("cm",), wrong=(2 * n, n + 1))


@template("8.G.A.3", "procedural")
def _transform_coords(r: Random) -> Draft:
    x, y = r.randint(-6, 6), r.randint(-6, 6)
    kind = r.choice(("dilate", "translate", "rotate"))
    if kind == "dilate":
        k = r.randint(2, 4)
        return point(f"Dilate $({x}, {y})$ by scale factor {k} about the origin.", k * x, k * y,
                     wrong=((x + k, y + k),))
    if kind == "translate":
        a, b = r.randint(-5, 5), r.randint(-5, 5)
        return point(f"Translate $({x}, {y})$ by {a} in x and {b} in y.", x + a, y + b,
                     wrong=((x - a, y - b),))
    return point(f"Rotate $({x}, {y})$ by 180° about the origin.", -x, -y, wrong=((y, x),
                                                                                  (-y, x)))


@template("8.G.A.3", "procedural")
def _reflect_coords(r: Random) -> Draft:
    x, y = r.randint(1, 9), r.randint(1, 9) * r.choice((-1, 1))
    return point(f"Reflect $({x}, {y})$ across the y-axis.", -x, y, wrong=((x, -y),))


@template("8.G.A.4", "conceptual")
def _similar_scale(r: Random) -> Draft:
    a, k = r.randint(2, 9), r.randint(2, 5)
    b = r.randint(2, 9)
    return number(f"Triangle B is a dilation of triangle A. A side of A is {a} and the matching "
                  f"side of B is {a * k}. Another side of A is {b}. What is the matching side "
                  "of B?", b * k, wrong=(b + a * k - a,))


@template("8.G.A.4", "conceptual")
def _similar_angle(r: Random) -> Draft:
    a, b = r.randint(30, 80), r.randint(30, 80)
    return number(f"Two triangles are similar. One has angles {a}° and {b}°. What is the third "
                  "angle of the other triangle, in degrees?", 180 - a - b, units=("degrees",
                                                                                  "°"),
                  wrong=(a + b,))


@template("8.G.A.5", "procedural")
def _angle_sum(r: Random) -> Draft:
    a, b = r.randint(20, 80), r.randint(20, 80)
    return number(f"A triangle has angles {a}° and {b}°. What is the third angle, in degrees?",
                  180 - a - b, units=("degrees", "°"), wrong=(360 - a - b,))


@template("8.G.A.5", "conceptual")
def _exterior(r: Random) -> Draft:
    a, b = r.randint(20, 80), r.randint(20, 80)
    return number(f"A triangle has remote interior angles {a}° and {b}°. What is the exterior "
                  "angle at the third vertex, in degrees?", a + b, units=("degrees", "°"),
                  wrong=(180 - a - b,))


@template("8.G.B.6", "conceptual")
def _converse(r: Random) -> Draft:
    a, b, c = r.choice(((3, 4, 5), (5, 12, 13), (6, 8, 10), (8, 15, 17), (4, 5, 6), (5, 6, 8),
                        (7, 8, 10)))
    return choice(f"Is a triangle with sides {a}, {b} and {c} a right triangle?",
                  "yes" if a * a + b * b == c * c else "no", ["yes", "no"], r)


@template("8.G.B.6", "conceptual")
def _pythag_area(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"Squares are drawn on the legs ({a} and {b}) of a right triangle. What is "
                  "the area of the square on the hypotenuse?", a * a + b * b,
                  wrong=((a + b) ** 2, a * b))


@template("8.G.B.7", "application")
def _hyp(r: Random) -> Draft:
    k = r.randint(1, 4)
    a, b, c = r.choice(((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25)))
    return number(f"A right triangle has legs {a * k} and {b * k}. How long is the "
                  "hypotenuse?", c * k, wrong=((a + b) * k,))


@template("8.G.B.7", "application")
def _leg(r: Random) -> Draft:
    k = r.randint(1, 4)
    a, b, c = r.choice(((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25)))
    return number(f"A ladder {c * k} m long reaches {b * k} m up a wall. How far is its foot "
                  "from the wall, in meters?", a * k, units=("m", "meters"),
                  wrong=((c - b) * k,))


@template("8.G.B.8", "procedural")
def _distance(r: Random) -> Draft:
    a, b, c = r.choice(((3, 4, 5), (5, 12, 13), (6, 8, 10), (8, 15, 17)))
    x, y = r.randint(-5, 5), r.randint(-5, 5)
    sx, sy = r.choice((-1, 1)), r.choice((-1, 1))
    return number(f"What is the distance between $({x}, {y})$ and $({x + sx * a}, "
                  f"{y + sy * b})$?", c, wrong=(a + b,))


@template("8.G.B.8", "procedural")
def _distance_sq(r: Random) -> Draft:
    x1, y1, x2, y2 = (r.randint(-6, 6) for _ in range(4))
    if (x1, y1) == (x2, y2):
        x2 += 1
    return number(f"The distance between $({x1}, {y1})$ and $({x2}, {y2})$ is sqrt(k). What is "
                  "k?", (x1 - x2) ** 2 + (y1 - y2) ** 2, wrong=(abs(x1 - x2) + abs(y1 - y2),))


@template("8.G.C.9", "procedural")
def _cyl_volume(r: Random) -> Draft:
    rad, h = r.randint(1, 6), r.randint(1, 10)
    solid = r.choice(("cylinder", "cone"))
    v = rad * rad * h if solid == "cylinder" else F(rad * rad * h, 3)
    return number(f"A {solid} has radius {rad} and height {h}. Its volume is k·π. What is k?", v,
                  wrong=(2 * rad * h, rad * rad * h * 3))


@template("8.SP.A.1", "conceptual")
def _association(r: Random) -> Draft:
    kind = r.choice(("positive", "negative"))
    pts = [(x, (x if kind == "positive" else 10 - x) + r.choice((-1, 0, 1))) for x in
           range(1, 8)]
    return choice(f"Scatter plot points: {', '.join(f'({a}, {b})' for a, b in pts)}. What "
                  "association do they show?", kind, ["positive", "negative", "none"], r)


@template("8.SP.A.2", "conceptual")
def _fit_line(r: Random) -> Draft:
    m, b = r.randint(1, 5), r.randint(0, 10)
    x = r.randint(2, 10)
    return number(f"A line fitted to a scatter plot is $y = {m}x + {b}$. What does it predict "
                  f"for $x = {x}$?", m * x + b, wrong=(m + x + b, m * x))


@template("8.SP.A.3", "application")
def _slope_meaning(r: Random) -> Draft:
    m, b = r.randint(2, 9), r.randint(10, 50)
    return number(f"Plant height (cm) is modelled by $h = {m}t + {b}$, t in weeks. By how many "
                  "cm does the model say the plant grows each week?", m, wrong=(b, m + b))


@template("8.SP.A.4", "application")
def _two_way(r: Random) -> Draft:
    a, b, c, d = (r.randint(5, 40) for _ in range(4))
    return number(f"Of students with a curfew, {a} do chores and {b} do not. Of students "
                  f"without one, {c} do chores and {d} do not. What fraction of students with "
                  "a curfew do chores?", F(a, a + b), wrong=(F(a, a + c), F(a, a + b + c + d)))


# ============================================================================ S-ID


@template("S-ID.A.1", "procedural")
def _box_plot(r: Random) -> Draft:
    xs = sorted(r.randint(1, 50) for _ in range(5))
    return number(f"A box plot is drawn for {', '.join(map(str, xs))}. Where is the line "
                  "inside the box (the median)?", xs[2], wrong=(F(sum(xs), 5),))


@template("S-ID.A.1", "procedural")
def _histogram(r: Random) -> Draft:
    xs = [r.randint(0, 29) for _ in range(10)]
    return number(f"Data: {', '.join(map(str, xs))}. A histogram uses bins 0-9, 10-19, 20-29. "
                  "How tall is the 10-19 bar?", sum(10 <= x <= 19 for x in xs),
                  wrong=(sum(x <= 19 for x in xs) + 1,))


@template("S-ID.A.2", "procedural")
def _iqr(r: Random) -> Draft:
    xs = sorted(r.sample(range(1, 60), 8))
    q1, q3 = F(xs[1] + xs[2], 2), F(xs[5] + xs[6], 2)
    return number(f"Data: {', '.join(map(str, xs))}. What is the interquartile range?", q3 - q1,
                  wrong=(xs[-1] - xs[0],))


@template("S-ID.A.2", "procedural")
def _compare_means(r: Random) -> Draft:
    a = [r.randint(1, 20) for _ in range(4)]
    b = [r.randint(1, 20) for _ in range(4)]
    return number(f"Set A: {', '.join(map(str, a))}; Set B: {', '.join(map(str, b))}. What is "
                  "mean(A) minus mean(B)?", F(sum(a) - sum(b), 4), wrong=(sum(a) - sum(b),))


@template("S-ID.A.3", "conceptual")
def _outlier(r: Random) -> Draft:
    xs = [r.randint(10, 20) for _ in range(6)]
    out = r.randint(80, 150)
    data = xs + [out]
    return number(f"Data: {', '.join(map(str, data))}. By how much does removing {out} change "
                  "the median? (Give the decrease as a positive number, 0 if none.)",
                  statistics.median(data) - statistics.median(xs),
                  wrong=(F(sum(data), 7) - F(sum(xs), 6),))


@template("S-ID.A.3", "conceptual")
def _outlier_mean(r: Random) -> Draft:
    xs = [r.randint(10, 20) for _ in range(4)]
    out = r.randint(60, 100)
    more = r.random() < 0.5
    return choice(f"Data: {', '.join(map(str, xs + [out]))}. Which is {'more' if more else 'less'}"
                  f" affected by the value {out}?", "the mean" if more else "the median",
                  ["the mean", "the median"], r)


@template("S-ID.A.4", "application")
def _normal_pct(r: Random) -> Draft:
    mu, sd = r.randint(50, 100), r.randint(3, 15)
    k, pct = r.choice(((1, 68), (2, 95), (3, 99.7)))
    return number(f"Scores are normal with mean {mu} and standard deviation {sd}. About what "
                  f"percent are between {mu - k * sd} and {mu + k * sd}?", F(str(pct)),
                  units=("%", "percent"), wrong=(50, 34 * k))


@template("S-ID.A.4", "application")
def _normal_above(r: Random) -> Draft:
    mu, sd = r.randint(50, 100), r.randint(3, 15)
    side, k, pct = r.choice((("above", 1, 16), ("above", 2, F(5, 2)), ("below", 1, 84),
                             ("below", 2, F(195, 2)), ("above", 0, 50)))
    return number(f"Heights are normal with mean {mu} and standard deviation {sd}. About what "
                  f"percent are {side} {mu + k * sd}?", pct, units=("%", "percent"),
                  wrong=(100 - pct, 34))


@template("S-ID.B.5", "application")
def _joint(r: Random) -> Draft:
    a, b, c, d = (r.randint(5, 30) for _ in range(4))
    return number(f"Two-way table: boys like soccer {a}, boys do not {b}, girls like soccer "
                  f"{c}, girls do not {d}. What is the relative frequency of girls who like "
                  "soccer among all students?", F(c, a + b + c + d), wrong=(F(c, c + d),))


@template("S-ID.B.5", "application")
def _conditional(r: Random) -> Draft:
    a, b, c, d = (r.randint(5, 30) for _ in range(4))
    return number(f"Two-way table: boys like soccer {a}, boys do not {b}, girls like soccer "
                  f"{c}, girls do not {d}. Among boys, what fraction like soccer?", F(a, a + b),
                  wrong=(F(a, a + c), F(a, a + b + c + d)))


@template("S-ID.B.6", "procedural")
def _scatter_predict(r: Random) -> Draft:
    m, b = r.randint(2, 6), r.randint(1, 9)
    x = r.randint(10, 20)
    return number(f"The points lie close to $y = {m}x + {b}$. Predict y at $x = {x}$.",
                  m * x + b, wrong=(m * x, m + b))


@template("S-ID.B.6", "conceptual")
def _scatter_kind(r: Random) -> Draft:
    kind = r.choice(("linear", "exponential"))
    xs = range(0, 5)
    b = r.randint(2, 3)
    ys = [2 + 3 * x for x in xs] if kind == "linear" else [b**x for x in xs]
    return choice(f"Points: {', '.join(f'({x}, {y})' for x, y in zip(xs, ys, strict=True))}. "
                  "Which model fits them?", kind, ["linear", "exponential", "no model"], r)


@template("S-ID.C.7", "application")
def _intercept_meaning(r: Random) -> Draft:
    m, b = r.randint(10, 40), r.randint(20, 100)
    return number(f"A phone plan costs $c = {m}n + {b}$ dollars for n months. What is the "
                  "cost for zero months (the starting fee)?", b, units=("dollars",),
                  wrong=(m, m + b))


@template("S-ID.C.7", "application")
def _slope_context(r: Random) -> Draft:
    m, b = r.randint(2, 12), r.randint(5, 60)
    return number(f"Savings follow $s = {b} + {m}w$ dollars after w weeks. How many dollars "
                  "are saved per week?", m, wrong=(b, m + b))


@template("S-ID.C.8", "conceptual")
def _corr_sign(r: Random) -> Draft:
    kind = r.choice(("positive", "negative", "close to 0"))
    desc = {"positive": "rise together along a line", "negative":
            "fall as the other rises, along a line", "close to 0": "show no pattern at all"}
    return choice(f"The points of a scatter plot {desc[kind]}. What is the correlation "
                  "coefficient r most likely to be?", kind,
                  ["positive", "negative", "close to 0"], r)


@template("S-ID.C.8", "conceptual")
def _corr_strength(r: Random) -> Draft:
    a, b = r.sample((-0.9, -0.5, -0.2, 0.1, 0.4, 0.85, 0.95), 2)
    return number(f"Which correlation shows the stronger linear relationship: {a} or {b}?",
                  F(str(a if abs(a) > abs(b) else b)), wrong=(F(str(a if abs(a) <= abs(b)
                                                                     else b)),))


@template("S-ID.C.9", "conceptual")
def _causation(r: Random) -> Draft:
    a, b = r.choice((("ice cream sales", "sunburns"), ("shoe size", "reading level"),
                     ("number of firefighters", "fire damage"), ("screen time", "sleep")))
    design, ok = r.choice((("In a survey of many people", "no"),
                           ("In a study that only observed people", "no"),
                           (f"In a randomized experiment that assigned {a} by lot", "yes")))
    return choice(f"{design}, {a} and {b} were strongly correlated. Does this show that {a} "
                  f"causes a change in {b}?", ok, ["yes", "no"], r)


@template("S-ID.C.9", "conceptual")
def _experiment(r: Random) -> Draft:
    t = r.choice(("a new study method", "a fertilizer", "a new diet"))
    how, kind = r.choice((("researchers flipped a coin to decide who got it",
                           "a randomized experiment"),
                          ("researchers compared people who already chose it",
                           "an observational study")))
    return choice(f"To test {t}, {how}. What kind of study is this?", kind,
                  ["a randomized experiment", "an observational study"], r)


# THINGS used to keep the shared vocabulary importable from one place
_ = THINGS


# ======================================================================= K measurement and data


@template("K.MD.A.1", "conceptual")
def _attribute(r: Random) -> Draft:
    thing, attr = r.choice((("how long a pencil is", "length"), ("how heavy a rock is", "weight"),
                            ("how tall a tree is", "height"), ("how heavy a bag is", "weight"),
                            ("how long a snake is", "length")))
    return choice(f"When you find {thing}, which attribute are you measuring?", attr,
                  [a for a in ("length", "weight", "height", "color") if a != attr], r)


@template("K.MD.A.2", "conceptual")
def _compare_direct(r: Random) -> Draft:
    a, b = r.sample(("train", "snake", "ribbon", "crayon", "rope", "stick"), 2)
    la, lb = r.sample(range(2, 12), 2)
    ans = a if la > lb else b
    return choice(f"A {a} is {'■' * la} long. A {b} is {'■' * lb} long. Which is longer?",
                  ans, [a, b], r)


@template("K.MD.B.3", "application")
def _sort_count(r: Random) -> Draft:
    shapes = [r.choice("▲●■") for _ in range(r.randint(6, 10))]
    pick = r.choice("▲●■")
    return number(f"Sort these shapes: {' '.join(shapes)}\nHow many {pick} are there?",
                  shapes.count(pick), wrong=(len(shapes), shapes.count(pick) + 1))


@template("2.MD.A.3", "conceptual")
def _estimate_number(r: Random) -> Draft:
    n = r.randint(3, 9)
    unit = r.choice(("inches", "centimeters"))
    return number(f"A paper clip is about 1 {unit[:-1] if unit == 'inches' else 'centimeter'} "
                  f"... a pencil is about {n} paper clips long. About how many {unit} long is "
                  "the pencil?", n, units=(unit,), wrong=(n * 10, n + 10))


@template("3.MD.C.6", "procedural")
def _count_squares_l(r: Random) -> Draft:
    a, b = r.randint(3, 6), r.randint(3, 6)
    c = r.randint(1, a - 1)
    rows = ["□ " * b if i < c else "□ " * (b - 1) for i in range(a)]
    return number("Each □ is 1 square inch. What is the area of this shape, in square inches?"
                  "\n" + "\n".join(rows), c * b + (a - c) * (b - 1),
                  units=("square inches", "in2", "in^2"), wrong=(a * b, 2 * (a + b)))
