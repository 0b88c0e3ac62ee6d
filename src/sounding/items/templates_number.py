"""Templates for counting, place value, whole-number operations and K-5 algebraic thinking.

Each function makes one item from a seeded ``random.Random``; ``@template(code, kind)``
binds it to a standard. Families shared by many standards (an operation within a range, a
comparison, a rounding, a story) are the helpers at the top, parameterised by the grade's
limits read from the standard's text ("within 20", "up to four digits", "to the nearest 10
or 100").
"""

from __future__ import annotations

from fractions import Fraction as F
from random import Random

from sounding.items.model import Draft, choice, fmt, number
from sounding.items.registry import template

NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jada", "Kofi",
         "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq")
THINGS = ("apples", "marbles", "stickers", "books", "shells", "pencils", "cards", "beads",
          "stamps", "blocks")
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words(n: int) -> str:
    """English number name (0 .. 999,999)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + words(rest))
    rest = n % 1000
    return words(n // 1000) + " thousand" + ("" if rest == 0 else " " + words(rest))


def who(r: Random, k: int = 1) -> list[str]:
    return r.sample(NAMES, k)


def dots(n: int, mark: str = "●") -> str:
    return " ".join(mark * min(5, n - i) for i in range(0, n, 5))


def compare_symbol(a, b) -> str:  # noqa: ANN001
    return ">" if a > b else "<" if a < b else "="


def compare_item(r: Random, a, b, sa: str, sb: str) -> Draft:  # noqa: ANN001
    c = compare_symbol(a, b)
    return choice(f"Which symbol makes this true? ${sa}$ ☐ ${sb}$", c,
                  [x for x in (">", "<", "=") if x != c], r)


def rounded(n: int, place: int) -> int:
    return ((n + place // 2) // place) * place


# ============================================================================ K counting


@template("K.CC.A.1", "procedural")
def _count_ones(r: Random) -> Draft:
    a = r.randint(1, 95)
    return number(f"Count by ones: {a}, {a + 1}, {a + 2}, ___. What number comes next?", a + 3,
                  wrong=(a + 2, a + 4))


@template("K.CC.A.1", "procedural")
def _count_tens(r: Random) -> Draft:
    a = r.randint(1, 6) * 10
    return number(f"Count by tens: {a}, {a + 10}, {a + 20}, ___. What number comes next?",
                  a + 30, wrong=(a + 21, a + 40))


@template("K.CC.A.2", "procedural")
def _count_from(r: Random) -> Draft:
    a = r.randint(3, 90)
    k = r.randint(2, 4)
    return number(f"Start at {a} and count forward {k} numbers. What number do you say last?",
                  a + k, wrong=(a + k - 1, a + k + 1))


@template("K.CC.A.2", "procedural")
def _count_between(r: Random) -> Draft:
    a = r.randint(5, 90)
    return number(f"What number comes just after {a}?", a + 1, wrong=(a - 1, a + 2))


@template("K.CC.A.3", "procedural")
def _write_count(r: Random) -> Draft:
    n = r.randint(0, 20)
    shown = dots(n, "★") if n else "(no stars at all)"
    return number(f"How many stars? Write the number.\n{shown}", n, wrong=(n + 1, abs(n - 1)))


@template("K.CC.A.3", "conceptual")
def _write_word(r: Random) -> Draft:
    n = r.randint(0, 20)
    return number(f"Write the number \"{words(n)}\" with digits.", n, wrong=(n + 1, n + 10))


@template("K.CC.B.4", "conceptual")
def _one_more(r: Random) -> Draft:
    n = r.randint(1, 19)
    return number(f"There are {n} birds. One more bird comes. How many birds now?\n{dots(n)}",
                  n + 1, wrong=(n, n + 2))


@template("K.CC.B.4", "conceptual")
def _cardinality(r: Random) -> Draft:
    n = r.randint(3, 15)
    return number(f"Sam counts a row of blocks: 1, 2, 3, ... and says \"{n}\" for the last "
                  "block. How many blocks are there?", n, wrong=(n + 1, n - 1))


@template("K.CC.B.5", "procedural")
def _how_many_line(r: Random) -> Draft:
    n = r.randint(5, 20)
    return number(f"How many circles?\n{'○' * n}", n, wrong=(n + 1, n - 1))


@template("K.CC.B.5", "application")
def _how_many_array(r: Random) -> Draft:
    rows, cols = r.randint(2, 4), r.randint(2, 5)
    grid = "\n".join("■ " * cols for _ in range(rows))
    return number(f"How many squares?\n{grid}", rows * cols, wrong=(rows + cols, rows * cols + 1))


@template("K.CC.C.6", "conceptual")
def _compare_groups(r: Random) -> Draft:
    a, b = r.sample(range(1, 11), 2)
    ans = "the first group" if a > b else "the second group"
    return choice(f"Which group has more?\nFirst group: {dots(a, '▲')}\n"
                  f"Second group: {dots(b, '▲')}", ans,
                  ["the first group", "the second group", "they have the same"], r)


@template("K.CC.C.6", "conceptual")
def _fewer_groups(r: Random) -> Draft:
    a, b = r.sample(range(1, 11), 2)
    ans = "the first group" if a < b else "the second group"
    return choice(f"Which group has fewer?\nFirst group: {dots(a, '♦')}\n"
                  f"Second group: {dots(b, '♦')}", ans,
                  ["the first group", "the second group", "they have the same"], r)


@template("K.CC.C.7", "conceptual")
def _compare_1_10(r: Random) -> Draft:
    a, b = r.randint(1, 10), r.randint(1, 10)
    return compare_item(r, a, b, str(a), str(b))


@template("K.CC.C.7", "conceptual")
def _larger_1_10(r: Random) -> Draft:
    a, b = r.sample(range(1, 11), 2)
    return number(f"Which number is greater: {a} or {b}?", max(a, b), wrong=(min(a, b),))


# ============================================================================ K-2 add/subtract


def _story_add_sub(r: Random, lo: int, hi: int, kinds=("add", "take", "compare")) -> Draft:
    a, b = sorted(r.sample(range(lo, hi + 1), 2), reverse=True)
    n1, n2 = who(r, 2)
    thing = r.choice(THINGS)
    k = r.choice(kinds)
    if k == "add":
        total = a + b
        if total > hi * 2:
            total = a
        return number(f"{n1} has {a} {thing}. {n2} gives {n1} {b} more. How many {thing} "
                      f"does {n1} have now?", a + b, wrong=(a - b, a + b + 1))
    if k == "take":
        return number(f"{n1} has {a} {thing} and gives {b} of them away. How many {thing} are "
                      "left?", a - b, wrong=(a + b, a - b + 1))
    if k == "compare":
        return number(f"{n1} has {a} {thing}. {n2} has {b} {thing}. How many more {thing} "
                      f"does {n1} have than {n2}?", a - b, wrong=(a + b, a))
    # unknown start: ? + b = total
    return number(f"{n1} had some {thing}. {n2} gave {n1} {b} more. Now {n1} has {a + b}. "
                  f"How many {thing} did {n1} have at first?", a, wrong=(a + 2 * b, b))


@template("K.OA.A.1", "conceptual")
def _represent_add(r: Random) -> Draft:
    a, b = r.randint(1, 5), r.randint(1, 5)
    return number(f"Hold up {a} fingers, then {b} more fingers. How many fingers are up?\n"
                  f"{dots(a, '✋')} and {dots(b, '✋')}", a + b, wrong=(a + b + 1, abs(a - b)))


@template("K.OA.A.1", "conceptual")
def _represent_sub(r: Random) -> Draft:
    a = r.randint(3, 10)
    b = r.randint(1, a - 1)
    return number(f"There are {a} frogs. {b} hop away.\n{dots(a, '🐸')}\nHow many frogs stay?",
                  a - b, wrong=(a + b, a - b + 1))


@template("K.OA.A.2", "application")
def _k_story(r: Random) -> Draft:
    return _story_add_sub(r, 1, 5, ("add", "take"))


@template("K.OA.A.2", "procedural")
def _k_within10(r: Random) -> Draft:
    a = r.randint(1, 9)
    b = r.randint(1, 10 - a)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b + 1, abs(a - b)))


@template("K.OA.A.3", "conceptual")
def _decompose(r: Random) -> Draft:
    n = r.randint(3, 10)
    a = r.randint(1, n - 1)
    return number(f"${n} = {a} + $ ☐. What number goes in the box?", n - a,
                  wrong=(n + a, n - a + 1))


@template("K.OA.A.3", "conceptual")
def _decompose_story(r: Random) -> Draft:
    n = r.randint(4, 10)
    a = r.randint(1, n - 1)
    return number(f"{n} balls go into two boxes. {a} go in the red box. How many go in the "
                  "blue box?", n - a, wrong=(n + a, a))


@template("K.NBT.A.1", "conceptual")
def _teen(r: Random) -> Draft:
    n = r.randint(11, 19)
    return number(f"${n} = 10 + $ ☐. What number goes in the box?", n - 10, wrong=(n, 1))


@template("K.NBT.A.1", "conceptual")
def _teen_compose(r: Random) -> Draft:
    k = r.randint(1, 9)
    return number(f"One ten and {k} ones make what number?", 10 + k, wrong=(1 + k, k * 10))


@template("K.OA.A.4", "procedural")
def _make_ten(r: Random) -> Draft:
    a = r.randint(1, 9)
    return number(f"${a} + $ ☐ $ = 10$. What number goes in the box?", 10 - a,
                  wrong=(10 + a, 11 - a))


@template("K.OA.A.4", "application")
def _make_ten_story(r: Random) -> Draft:
    a = r.randint(1, 9)
    return number(f"A box holds 10 eggs. It has {a} eggs. How many more eggs fill the box?",
                  10 - a, wrong=(10 + a, a))


@template("K.OA.A.5", "procedural")
def _within5_add(r: Random) -> Draft:
    a = r.randint(0, 5)
    b = r.randint(0, 5 - a)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b + 1,))


@template("K.OA.A.5", "procedural")
def _within5_sub(r: Random) -> Draft:
    a = r.randint(1, 5)
    b = r.randint(0, a)
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a + b, a - b + 1))


# ============================================================================ grade 1


@template("1.NBT.A.1", "procedural")
def _count120(r: Random) -> Draft:
    a = r.randint(20, 116)
    return number(f"Count: {a}, {a + 1}, {a + 2}, ___. What comes next?", a + 3,
                  wrong=(a + 13, a + 2))


@template("1.NBT.A.1", "conceptual")
def _write120(r: Random) -> Draft:
    n = r.randint(21, 120)
    return number(f"Write \"{words(n)}\" as a number.", n, wrong=(n + 10, n - 1))


@template("1.NBT.B.2", "conceptual")
def _tens_in(r: Random) -> Draft:
    n = r.randint(11, 99)
    return number(f"How many tens are in the number {n}?", n // 10, wrong=(n % 10, n))


@template("1.NBT.B.2", "conceptual")
def _tens_ones_to_number(r: Random) -> Draft:
    t, o = r.randint(1, 9), r.randint(0, 9)
    return number(f"What number has {t} tens and {o} ones?", 10 * t + o,
                  wrong=(10 * o + t, t + o))


@template("1.NBT.B.3", "conceptual")
def _compare2digit(r: Random) -> Draft:
    a, b = r.randint(10, 99), r.randint(10, 99)
    return compare_item(r, a, b, str(a), str(b))


@template("1.NBT.B.3", "conceptual")
def _compare_tens_ones(r: Random) -> Draft:
    t1, o1, t2, o2 = r.randint(1, 9), r.randint(0, 9), r.randint(1, 9), r.randint(0, 9)
    a, b = 10 * t1 + o1, 10 * t2 + o2
    return compare_item(r, a, b, f"{t1} tens {o1} ones", f"{t2} tens {o2} ones")


@template("1.NBT.C.4", "procedural")
def _add_2d_1d(r: Random) -> Draft:
    a, b = r.randint(11, 89), r.randint(2, 9)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b - 10, a + 10 * b))


@template("1.NBT.C.4", "procedural")
def _add_2d_tens(r: Random) -> Draft:
    a, b = r.randint(11, 59), r.randint(1, 4) * 10
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b // 10, a + b + 1))


@template("1.NBT.C.5", "procedural")
def _ten_more(r: Random) -> Draft:
    n = r.randint(10, 89)
    return number(f"What number is 10 more than {n}?", n + 10, wrong=(n + 1, n + 100))


@template("1.NBT.C.5", "procedural")
def _ten_less(r: Random) -> Draft:
    n = r.randint(20, 99)
    return number(f"What number is 10 less than {n}?", n - 10, wrong=(n - 1, n + 10))


@template("1.NBT.C.6", "procedural")
def _sub_tens(r: Random) -> Draft:
    a = r.randint(2, 9) * 10
    b = r.randint(1, a // 10) * 10
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a + b, a // 10 - b // 10))


@template("1.NBT.C.6", "application")
def _sub_tens_story(r: Random) -> Draft:
    a = r.randint(3, 9) * 10
    b = r.randint(1, a // 10 - 1) * 10
    return number(f"A shop had {a} balloons and sold {b}. How many balloons are left?", a - b,
                  wrong=(a + b, a - b + 10))


@template("1.OA.A.1", "application")
def _g1_story(r: Random) -> Draft:
    return _story_add_sub(r, 2, 10, ("add", "take", "compare", "start"))


@template("1.OA.A.1", "application")
def _g1_story_compare(r: Random) -> Draft:
    return _story_add_sub(r, 3, 10, ("compare", "start"))


@template("1.OA.A.2", "application")
def _three_addends(r: Random) -> Draft:
    a, b, c = r.randint(1, 8), r.randint(1, 6), r.randint(1, 5)
    n = who(r)[0]
    return number(f"{n} picks {a} red, {b} yellow and {c} blue flowers. How many flowers in "
                  "all?", a + b + c, wrong=(a + b, a + b + c + 1))


@template("1.OA.A.2", "procedural")
def _three_addends_eq(r: Random) -> Draft:
    a, b, c = r.randint(1, 9), r.randint(1, 9), r.randint(1, 2)
    return number(f"${a} + {b} + {c} = $ ?", a + b + c, wrong=(a + b, a + b + c - 1))


@template("1.OA.B.3", "conceptual")
def _commutative(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"If ${a} + {b} = {a + b}$, then ${b} + {a} = $ ?", a + b,
                  wrong=(a + b + 1, abs(a - b)))


@template("1.OA.B.3", "conceptual")
def _associative(r: Random) -> Draft:
    a, b = r.randint(2, 8), r.randint(1, 9)
    c = 10 - b
    return number(f"Make a ten to add: ${a} + {b} + {c} = $ ?", a + b + c,
                  wrong=(a + b + c - 1, a + 10 + b))


@template("1.OA.B.4", "conceptual")
def _unknown_addend(r: Random) -> Draft:
    a = r.randint(8, 18)
    b = r.randint(2, a - 1)
    return number(f"To find ${a} - {b}$, think: ${b} + $ ☐ $ = {a}$. What number goes in the "
                  "box?", a - b, wrong=(a + b, a - b + 1))


@template("1.OA.B.4", "procedural")
def _unknown_addend2(r: Random) -> Draft:
    a = r.randint(10, 20)
    b = r.randint(2, 9)
    return number(f"${b} + $ ☐ $ = {a}$", a - b, wrong=(a + b,))


@template("1.OA.C.5", "conceptual")
def _count_on(r: Random) -> Draft:
    a, b = r.randint(3, 15), r.randint(1, 3)
    return number(f"Start at {a} and count on {b}. Where do you stop?", a + b,
                  wrong=(a + b - 1, a + b + 1))


@template("1.OA.C.5", "conceptual")
def _count_back(r: Random) -> Draft:
    a, b = r.randint(6, 20), r.randint(1, 3)
    return number(f"Start at {a} and count back {b}. Where do you stop?", a - b,
                  wrong=(a - b + 1, a + b))


@template("1.OA.C.6", "procedural")
def _within20_add(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b - 1, a + b + 10))


@template("1.OA.C.6", "procedural")
def _within20_sub(r: Random) -> Draft:
    a = r.randint(11, 18)
    b = r.randint(a - 9, 9)
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a - b + 1, a + b))


@template("1.OA.D.7", "conceptual")
def _true_false(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    c = r.randint(2, 9)
    true = r.random() < 0.5
    d = a + b - c if true else a + b - c + r.choice((-1, 1, 2))
    if d < 0:
        true, d = False, a + b + c
    ok = "true" if a + b == c + d else "false"
    return choice(f"Is this equation true or false? ${a} + {b} = {c} + {d}$", ok,
                  ["true", "false"], r)


@template("1.OA.D.7", "conceptual")
def _equal_sign(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    ok = "true" if r.random() < 0.5 else "false"
    c = a + b if ok == "true" else a + b + r.choice((1, 2, -1))
    return choice(f"Is this equation true or false? ${c} = {a} + {b}$", ok, ["true", "false"],
                  r)


@template("1.OA.D.8", "procedural")
def _unknown_in_eq(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    form = r.randint(0, 2)
    if form == 0:
        return number(f"${a} + $ ☐ $ = {a + b}$", b, wrong=(a + a + b,))
    if form == 1:
        return number(f"${a + b} - $ ☐ $ = {a}$", b, wrong=(a + a + b,))
    return number(f"☐ $ - {a} = {b}$", a + b, wrong=(b - a if b > a else a - b,))


@template("1.OA.D.8", "procedural")
def _unknown_start(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"☐ $ + {b} = {a + b}$", a, wrong=(a + 2 * b,))


# ============================================================================ grade 2


@template("2.NBT.A.1", "conceptual")
def _hundreds_digit(r: Random) -> Draft:
    h, t, o = r.randint(1, 9), r.randint(0, 9), r.randint(0, 9)
    n = 100 * h + 10 * t + o
    return number(f"${n} = $ ☐ hundreds $ + {t}$ tens $ + {o}$ ones. What number goes in the "
                  "box?", h, wrong=(n, 100 * h))


@template("2.NBT.A.1", "conceptual")
def _htos(r: Random) -> Draft:
    h, t, o = r.randint(1, 9), r.randint(0, 9), r.randint(0, 9)
    return number(f"What number has {h} hundreds, {t} tens and {o} ones?", 100 * h + 10 * t + o,
                  wrong=(h + t + o, 100 * o + 10 * t + h))


@template("2.NBT.A.2", "procedural")
def _skip5(r: Random) -> Draft:
    step = r.choice((5, 10, 100))
    a = r.randint(1, 9) * step if step < 100 else r.randint(1, 6) * 100
    return number(f"Skip-count by {step}s: {a}, {a + step}, {a + 2 * step}, ___", a + 3 * step,
                  wrong=(a + 2 * step + 1, a + 4 * step))


@template("2.NBT.A.2", "procedural")
def _count1000(r: Random) -> Draft:
    a = r.randint(100, 996)
    return number(f"Count: {a}, {a + 1}, {a + 2}, ___", a + 3, wrong=(a + 12, a + 4))


@template("2.NBT.A.3", "conceptual")
def _expanded3(r: Random) -> Draft:
    h, t, o = r.randint(1, 9), r.randint(1, 9), r.randint(0, 9)
    terms = [f"{100 * h}", f"{10 * t}", f"{o}"]
    r.shuffle(terms)
    return number(f"${' + '.join(terms)} = $ ?", 100 * h + 10 * t + o,
                  wrong=(h + t + o, 100 * h + t + o))


@template("2.NBT.A.3", "conceptual")
def _name3(r: Random) -> Draft:
    n = r.randint(101, 999)
    return number(f"Write \"{words(n)}\" with digits.", n, wrong=(n + 100, n - 1))


@template("2.NBT.A.4", "conceptual")
def _compare3(r: Random) -> Draft:
    a = r.randint(100, 999)
    b = a + r.choice((-100, -10, -1, 0, 1, 10, 100, 90, -90))
    b = min(999, max(100, b))
    return compare_item(r, a, b, str(a), str(b))


@template("2.NBT.A.4", "conceptual")
def _greatest3(r: Random) -> Draft:
    ds = r.sample(range(1, 10), 3)
    n = int("".join(map(str, sorted(ds, reverse=True))))
    return number(f"Use the digits {ds[0]}, {ds[1]} and {ds[2]} once each. What is the "
                  "greatest three-digit number you can make?", n,
                  wrong=(int("".join(map(str, ds))), int("".join(map(str, sorted(ds))))))


@template("2.NBT.B.5", "procedural")
def _add100(r: Random) -> Draft:
    a, b = r.randint(15, 79), r.randint(11, 20)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b - 10, a + b + 10))


@template("2.NBT.B.5", "procedural")
def _sub100(r: Random) -> Draft:
    a = r.randint(40, 99)
    b = r.randint(11, a - 10)
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a - b + 10, a + b))


@template("2.NBT.B.6", "procedural")
def _four2digit(r: Random) -> Draft:
    xs = [r.randint(10, 60) for _ in range(r.choice((3, 4)))]
    return number(f"${' + '.join(map(str, xs))} = $ ?", sum(xs), wrong=(sum(xs) - 10,))


@template("2.NBT.B.6", "application")
def _four2digit_story(r: Random) -> Draft:
    xs = [r.randint(12, 45) for _ in range(4)]
    return number(f"Four classes collected {xs[0]}, {xs[1]}, {xs[2]} and {xs[3]} cans. How "
                  "many cans in all?", sum(xs), wrong=(sum(xs) + 10,))


@template("2.NBT.B.7", "procedural")
def _add1000(r: Random) -> Draft:
    a, b = r.randint(100, 599), r.randint(100, 399)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b - 100, a + b + 10))


@template("2.NBT.B.7", "procedural")
def _sub1000(r: Random) -> Draft:
    a = r.randint(300, 999)
    b = r.randint(100, a - 50)
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a - b + 100, a + b))


@template("2.NBT.B.8", "procedural")
def _ten_hundred_more(r: Random) -> Draft:
    n = r.randint(100, 899)
    d = r.choice((10, 100))
    return number(f"What number is {d} more than {n}?", n + d, wrong=(n + 1, n + 110 - d))


@template("2.NBT.B.8", "procedural")
def _ten_hundred_less(r: Random) -> Draft:
    n = r.randint(200, 900)
    d = r.choice((10, 100))
    return number(f"What number is {d} less than {n}?", n - d, wrong=(n - 1, n + d))


@template("2.NBT.B.9", "conceptual")
def _strategy_comp(r: Random) -> Draft:
    a, b = r.randint(21, 69), r.randint(1, 4) * 10 - r.randint(1, 3)
    up = (b + 9) // 10 * 10
    return number(f"To add ${a} + {b}$, Maya adds ${a} + {up}$ and then subtracts a number. "
                  "Which number should she subtract?", up - b, wrong=(b, up))


@template("2.NBT.B.9", "conceptual")
def _strategy_pv(r: Random) -> Draft:
    a, b = r.randint(21, 79), r.randint(11, 19)
    return number(f"To find ${a} + {b}$, Leo adds the tens, then the ones. What is the sum of "
                  "the tens?", a // 10 * 10 + b // 10 * 10, wrong=(a // 10 + b // 10,))


@template("2.OA.A.1", "application")
def _g2_story(r: Random) -> Draft:
    return _story_add_sub(r, 10, 60, ("add", "take", "compare", "start"))


@template("2.OA.A.1", "application")
def _g2_two_step(r: Random) -> Draft:
    a, b, c = r.randint(30, 60), r.randint(5, 20), r.randint(5, 20)
    n = who(r)[0]
    return number(f"{n} had {a} stickers, got {b} more, then gave away {c}. How many stickers "
                  f"does {n} have now?", a + b - c, wrong=(a + b + c, a - b - c))


@template("2.OA.B.2", "procedural")
def _fluent20_add(r: Random) -> Draft:
    a, b = r.randint(4, 9), r.randint(4, 9)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b + 1,))


@template("2.OA.B.2", "procedural")
def _fluent20_sub(r: Random) -> Draft:
    a = r.randint(11, 18)
    b = r.randint(a - 9, 9)
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a - b - 1, a + b))


@template("2.OA.C.3", "conceptual")
def _odd_even(r: Random) -> Draft:
    n = r.randint(3, 20)
    return choice(f"Is {n} odd or even?\n{dots(n, '●')}", "even" if n % 2 == 0 else "odd",
                  ["odd", "even"], r)


@template("2.OA.C.4", "application")
def _array_total(r: Random) -> Draft:
    rows, cols = r.randint(2, 5), r.randint(2, 5)
    grid = "\n".join("● " * cols for _ in range(rows))
    return number(f"How many dots are in this array of {rows} rows?\n{grid}", rows * cols,
                  wrong=(rows + cols,))


# ============================================================================ grade 3


@template("3.NBT.A.1", "procedural")
def _round10_100(r: Random) -> Draft:
    n = r.randint(101, 999)
    place = r.choice((10, 100))
    if n % place == place // 2:
        n += 1
    return number(f"Round {n} to the nearest {place}.", rounded(n, place),
                  wrong=(n // place * place + (place if rounded(n, place) == n // place * place
                                               else 0), n))


@template("3.NBT.A.2", "procedural")
def _g3_add(r: Random) -> Draft:
    a, b = r.randint(150, 600), r.randint(150, 399)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b - 100,))


@template("3.NBT.A.2", "procedural")
def _g3_sub(r: Random) -> Draft:
    a = r.randint(400, 999)
    b = r.randint(101, a - 100)
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a - b + 10, a - b + 100))


@template("3.NBT.A.3", "procedural")
def _times_mult10(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(1, 9) * 10
    return number(f"${a} × {b} = $ ?", a * b, wrong=(a * b // 10, a * b * 10))


@template("3.OA.A.1", "conceptual")
def _interpret_product(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"There are {a} bags with {b} marbles in each bag. Which number does "
                  f"${a} × {b}$ give: how many marbles in all?", a * b, wrong=(a + b,))


@template("3.OA.A.1", "conceptual")
def _product_meaning(r: Random) -> Draft:
    a, b = r.sample(range(2, 10), 2)
    return choice(f"Which situation is shown by ${a} × {b}$?",
                  f"{a} groups of {b} objects",
                  [f"{a} objects and {b} more objects", f"{a} objects shared by {b} people",
                   f"{b} objects take away {a}"], r)


@template("3.OA.A.2", "conceptual")
def _interpret_quotient(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"{a * b} stickers are shared equally among {a} friends. How many stickers "
                  "does each friend get?", b, wrong=(a * b - a, a))


@template("3.OA.A.2", "conceptual")
def _quotient_groups(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"{a * b} eggs are packed {b} to a box. How many boxes are filled?", a,
                  wrong=(a * b - b, b))


@template("3.OA.A.3", "application")
def _mult_story(r: Random) -> Draft:
    a, b = r.randint(3, 9), r.randint(3, 9)
    return number(f"A garden has {a} rows with {b} plants in each row. How many plants?", a * b,
                  wrong=(a + b, a * b + b))


@template("3.OA.A.3", "application")
def _div_story(r: Random) -> Draft:
    a, b = r.randint(3, 9), r.randint(3, 9)
    return number(f"{a * b} chairs are set out in {a} equal rows. How many chairs are in each "
                  "row?", b, wrong=(a * b - a,))


@template("3.OA.A.4", "procedural")
def _unknown_factor(r: Random) -> Draft:
    a, b = r.randint(2, 10), r.randint(2, 10)
    return number(f"${a} × $ ☐ $ = {a * b}$", b, wrong=(a * b - a, a * b * a))


@template("3.OA.A.4", "procedural")
def _unknown_dividend(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"☐ $ ÷ {a} = {b}$", a * b, wrong=(a + b,))


@template("3.OA.B.5", "conceptual")
def _mult_commute(r: Random) -> Draft:
    a, b = r.randint(3, 9), r.randint(3, 9)
    return number(f"If ${a} × {b} = {a * b}$, then ${b} × {a} = $ ?", a * b, wrong=(a + b,))


@template("3.OA.B.5", "conceptual")
def _distributive(r: Random) -> Draft:
    a, b, c = r.randint(3, 9), r.randint(2, 5), r.randint(2, 5)
    return number(f"${a} × ({b} + {c}) = {a} × {b} + {a} × $ ☐. What number goes in the box?",
                  c, wrong=(a * c, b))


@template("3.OA.B.6", "conceptual")
def _div_unknown_factor(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"To find ${a * b} ÷ {a}$, find the number that makes {a * b} when "
                  f"multiplied by {a}. What is it?", b, wrong=(a * b - a,))


@template("3.OA.B.6", "procedural")
def _div_fact(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"${a * b} ÷ {b} = $ ?", a, wrong=(a * b - b, a + 1))


@template("3.OA.C.7", "procedural")
def _mult_fact(r: Random) -> Draft:
    a, b = r.randint(2, 10), r.randint(2, 10)
    return number(f"${a} × {b} = $ ?", a * b, wrong=(a * b + a, a + b))


@template("3.OA.C.7", "procedural")
def _div_fact2(r: Random) -> Draft:
    a, b = r.randint(2, 10), r.randint(2, 10)
    return number(f"${a * b} ÷ {a} = $ ?", b, wrong=(b + 1, a * b - a))


@template("3.OA.D.8", "application")
def _two_step(r: Random) -> Draft:
    a, b, c = r.randint(3, 8), r.randint(3, 9), r.randint(2, 15)
    n = who(r)[0]
    return number(f"{n} buys {a} packs of {b} cards, then gives away {c} cards. How many cards "
                  f"does {n} have now?", a * b - c, wrong=(a * b + c, a + b - c))


@template("3.OA.D.8", "application")
def _two_step_b(r: Random) -> Draft:
    a, b, c = r.randint(3, 8), r.randint(2, 6), r.randint(5, 20)
    return number(f"There are {c} red apples and {a} bags of {b} green apples. How many apples "
                  "in all?", c + a * b, wrong=(c + a + b, (c + a) * b))


@template("3.OA.D.9", "conceptual")
def _pattern(r: Random) -> Draft:
    a, s = r.randint(1, 20), r.randint(2, 9)
    return number(f"What is the next number in the pattern {a}, {a + s}, {a + 2 * s}, "
                  f"{a + 3 * s}, ___?", a + 4 * s, wrong=(a + 3 * s + 1, a + 5 * s))


@template("3.OA.D.9", "conceptual")
def _pattern_even(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    even = (a * b) % 2 == 0
    return choice(f"Is ${a} × {b}$ odd or even?", "even" if even else "odd", ["odd", "even"], r)


# ============================================================================ grade 4


@template("4.NBT.A.1", "conceptual")
def _ten_times(r: Random) -> Draft:
    d = r.randint(1, 9)
    k, up = r.randint(0, 2), r.randint(1, 2)
    return number(f"In {d * 10 ** (k + up)}, the digit {d} is worth how many times as much as "
                  f"in {d * 10 ** k}?", 10**up, wrong=(up, 10 ** (up + 1)))


@template("4.NBT.A.1", "conceptual")
def _ten_times_b(r: Random) -> Draft:
    n = r.randint(2, 9) * 100
    return number(f"${n} ÷ 70$ is the same as ${n // 10} ÷ 7$. What is ${n * 10} ÷ 10$?", n,
                  wrong=(n * 100, n // 10))


@template("4.NBT.A.2", "conceptual")
def _compare_multi(r: Random) -> Draft:
    a = r.randint(10_000, 999_999)
    b = a + r.choice((-1000, -100, 1000, 10, -10, 0, 90_000))
    return compare_item(r, a, b, f"{a:,}".replace(",", " "), f"{b:,}".replace(",", " "))


@template("4.NBT.A.2", "conceptual")
def _name_multi(r: Random) -> Draft:
    n = r.randint(1001, 99_999)
    return number(f"Write \"{words(n)}\" with digits.", n, wrong=(n + 1000, n // 10))


@template("4.NBT.A.3", "procedural")
def _round_any(r: Random) -> Draft:
    n = r.randint(10_000, 999_999)
    place = r.choice((10, 100, 1000, 10_000))
    if n % place == place // 2:
        n += 1
    return number(f"Round {n} to the nearest {place:,}.", rounded(n, place),
                  wrong=(n // place * place if rounded(n, place) != n // place * place
                         else n // place * place + place,))


@template("4.NBT.A.3", "procedural")
def _round_thousand(r: Random) -> Draft:
    n = r.randint(1000, 99_999)
    if n % 1000 == 500:
        n += 1
    return number(f"Round {n} to the nearest thousand.", rounded(n, 1000),
                  wrong=(rounded(n, 100), rounded(n, 10_000)))


@template("4.NBT.B.4", "procedural")
def _add_multi(r: Random) -> Draft:
    a, b = r.randint(1000, 60_000), r.randint(1000, 30_000)
    return number(f"${a} + {b} = $ ?", a + b, wrong=(a + b - 1000, a + b + 10))


@template("4.NBT.B.4", "procedural")
def _sub_multi(r: Random) -> Draft:
    a = r.randint(5000, 90_000)
    b = r.randint(1000, a - 1000)
    return number(f"${a} - {b} = $ ?", a - b, wrong=(a - b + 1000, a - b - 10))


@template("4.NBT.B.5", "procedural")
def _mult_4x1(r: Random) -> Draft:
    a, b = r.randint(100, 9999), r.randint(3, 9)
    return number(f"${a} × {b} = $ ?", a * b, wrong=(a * b - b, a * b + a))


@template("4.NBT.B.5", "procedural")
def _mult_2x2(r: Random) -> Draft:
    a, b = r.randint(11, 99), r.randint(11, 99)
    return number(f"${a} × {b} = $ ?", a * b, wrong=(a * (b % 10) + a * (b // 10), a * b + a))


@template("4.NBT.B.6", "procedural")
def _quotient(r: Random) -> Draft:
    b, q = r.randint(2, 9), r.randint(100, 999)
    return number(f"${b * q} ÷ {b} = $ ?", q, wrong=(q + 1, q * 10))


@template("4.NBT.B.6", "procedural")
def _remainder(r: Random) -> Draft:
    b, q = r.randint(3, 9), r.randint(20, 999)
    rem = r.randint(1, b - 1)
    return number(f"What is the remainder when {b * q + rem} is divided by {b}?", rem,
                  wrong=(q, b - rem))


@template("4.OA.A.1", "conceptual")
def _times_as_many(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"${a * b} = {a} × {b}$ means {a * b} is {a} times as many as what number?",
                  b, wrong=(a, a * b))


@template("4.OA.A.1", "conceptual")
def _times_as_many2(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(3, 12)
    return number(f"What number is {a} times as many as {b}?", a * b, wrong=(a + b,))


@template("4.OA.A.2", "application")
def _mult_compare_story(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(3, 15)
    n1, n2 = who(r, 2)
    return number(f"{n1} has {b} dollars. {n2} has {a} times as much. How many dollars does "
                  f"{n2} have?", a * b, wrong=(a + b,))


@template("4.OA.A.2", "application")
def _mult_compare_div(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(3, 12)
    return number(f"A red ribbon is {a * b} cm long. That is {a} times as long as a blue "
                  "ribbon. How long is the blue ribbon, in cm?", b, units=("cm",),
                  wrong=(a * b - a, a * a * b))


@template("4.OA.A.3", "application")
def _multistep(r: Random) -> Draft:
    a, b, c = r.randint(4, 12), r.randint(3, 9), r.randint(10, 60)
    return number(f"A school buys {a} boxes of {b} balls and already has {c} balls. How many "
                  "balls does it have now?", a * b + c, wrong=(a + b + c, a * (b + c)))


@template("4.OA.A.3", "application")
def _remainder_story(r: Random) -> Draft:
    cap = r.randint(4, 9)
    n = cap * r.randint(3, 12) + r.randint(1, cap - 1)
    return number(f"{n} students go on a trip. Each van holds {cap} students. How many vans "
                  "are needed so everyone can go?", -(-n // cap), wrong=(n // cap,))


@template("4.OA.B.4", "conceptual")
def _factor_pairs(r: Random) -> Draft:
    n = r.choice((12, 16, 18, 20, 24, 28, 30, 36, 40, 42, 45, 48, 60, 64, 72, 80, 84, 90, 96,
                  100))
    pairs = sum(1 for d in range(1, n + 1) if n % d == 0 and d * d <= n)
    return number(f"How many factor pairs does {n} have? (Count $1 × {n}$ as one pair, and do "
                  "not count a pair twice.)", pairs, wrong=(2 * pairs, pairs - 1))


@template("4.OA.B.4", "conceptual")
def _prime(r: Random) -> Draft:
    n = r.randint(2, 100)
    prime = n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))
    return choice(f"Is {n} prime or composite?", "prime" if prime else "composite",
                  ["prime", "composite"], r)


@template("4.OA.C.5", "conceptual")
def _rule_pattern(r: Random) -> Draft:
    a, s, k = r.randint(1, 9), r.randint(2, 7), r.randint(5, 8)
    return number(f"A pattern starts at {a} and follows the rule \"add {s}\". What is term "
                  f"number {k}?", a + (k - 1) * s, wrong=(a + k * s, k * s))


# ============================================================================ grade 5


@template("5.NBT.A.1", "conceptual")
def _tenth_of(r: Random) -> Draft:
    d = r.randint(1, 9)
    gap = r.randint(1, 2)
    n = f"{d}{'0' * (gap - 1)}{d}"
    return number(f"In 0.{n}, the first {d} is worth how many times as much as the last {d}?",
                  10**gap, wrong=(F(1, 10**gap), gap))


@template("5.NBT.A.1", "conceptual")
def _digit_value(r: Random) -> Draft:
    ds = [r.randint(1, 9) for _ in range(4)]
    k = r.randint(0, 3)
    n = f"{ds[0]}{ds[1]}.{ds[2]}{ds[3]}"
    val = F(ds[k]) * F(10) ** (1 - k)
    return number(f"What is the value of the digit in position {k + 1} (from the left) of "
                  f"{n}?", val, wrong=(ds[k], val * 10))


@template("5.NBT.A.2", "conceptual")
def _pow10(r: Random) -> Draft:
    a = F(r.randint(11, 999), 10 ** r.randint(0, 2))
    k = r.randint(1, 3)
    op = r.choice(("×", "÷"))
    val = a * 10**k if op == "×" else a / 10**k
    return number(f"${fmt(a)} {op} 10^{k} = $ ?", val, wrong=(a * 10 if k > 1 else a * 100,))


@template("5.NBT.A.2", "conceptual")
def _zeros(r: Random) -> Draft:
    k = r.randint(2, 6)
    return number(f"How many zeros are at the end of the number $10^{k}$ when it is written "
                  "out?", k, wrong=(k + 1, k - 1))


@template("5.NBT.A.3", "conceptual")
def _compare_thousandths(r: Random) -> Draft:
    a = r.randint(100, 999)
    b = a + r.choice((-90, -9, 9, 90, 0, 1))
    return compare_item(r, a, b, f"0.{a:03d}", f"0.{b:03d}" if b < 1000 else f"{b / 1000}")


@template("5.NBT.A.3", "conceptual")
def _expanded_decimal(r: Random) -> Draft:
    a, b, c = r.randint(1, 9), r.randint(0, 9), r.randint(1, 9)
    return number(f"Write as a decimal: ${a} × 1 + {b} × (1/10) + {c} × (1/1000)$",
                  a + F(b, 10) + F(c, 1000), form="decimal",
                  wrong=(a + F(b, 10) + F(c, 100),))


@template("5.NBT.A.4", "procedural")
def _round_decimal(r: Random) -> Draft:
    n = F(r.randint(1001, 99_999), 1000)
    places = r.choice((0, 1, 2))
    q = F(1, 10**places)
    x = n / q
    if x - int(x) == F(1, 2):
        n += F(1, 1000)
        x = n / q
    res = int(x + F(1, 2)) * q
    name = {0: "whole number", 1: "tenth", 2: "hundredth"}[places]
    return number(f"Round {fmt(n)} to the nearest {name}.", res, form="decimal",
                  wrong=(int(x) * q if res != int(x) * q else (int(x) + 1) * q,))


@template("5.NBT.B.5", "procedural")
def _mult_multi(r: Random) -> Draft:
    a, b = r.randint(100, 999), r.randint(12, 99)
    return number(f"${a} × {b} = $ ?", a * b, wrong=(a * b - a, a * (b % 10)))


@template("5.NBT.B.6", "procedural")
def _div_2digit(r: Random) -> Draft:
    b, q = r.randint(12, 49), r.randint(12, 199)
    return number(f"${b * q} ÷ {b} = $ ?", q, wrong=(q + 1, q - 1))


@template("5.NBT.B.6", "application")
def _div_2digit_story(r: Random) -> Draft:
    b, q = r.randint(12, 30), r.randint(11, 80)
    return number(f"{b * q} books are packed equally into {b} boxes. How many books are in "
                  "each box?", q, wrong=(q + 1,))


@template("5.NBT.B.7", "procedural")
def _dec_add(r: Random) -> Draft:
    a, b = F(r.randint(101, 999), 100), F(r.randint(11, 99), 10)
    return number(f"${fmt(a)} + {fmt(b)} = $ ?", a + b, wrong=(a + b / 10,))


@template("5.NBT.B.7", "procedural")
def _dec_mult(r: Random) -> Draft:
    a, b = F(r.randint(11, 99), 10), r.randint(2, 9)
    return number(f"${fmt(a)} × {b} = $ ?", a * b, wrong=(a * b * 10, a * b / 10))


@template("5.OA.A.1", "procedural")
def _parens(r: Random) -> Draft:
    a, b, c = r.randint(2, 9), r.randint(2, 9), r.randint(2, 9)
    return number(f"${a} × ({b} + {c}) = $ ?", a * (b + c), wrong=(a * b + c,))


@template("5.OA.A.1", "procedural")
def _brackets(r: Random) -> Draft:
    a, b, c, d = r.randint(2, 6), r.randint(10, 20), r.randint(2, 9), r.randint(2, 4)
    return number(f"${a} × [{b} - ({c} + 1)] + {d} = $ ?", a * (b - c - 1) + d,
                  wrong=(a * (b - c + 1) + d, a * b - c - 1 + d))


@template("5.OA.A.2", "conceptual")
def _write_expr(r: Random) -> Draft:
    a, b, k = r.randint(2, 9), r.randint(2, 9), r.randint(2, 5)
    return choice(f"Which expression means \"add {a} and {b}, then multiply by {k}\"?",
                  f"{k} × ({a} + {b})",
                  [f"{k} × {a} + {b}", f"{a} + {b} × {k}", f"({k} + {a}) × {b}"], r)


@template("5.OA.B.3", "conceptual")
def _two_patterns(r: Random) -> Draft:
    s1 = r.randint(2, 4)
    s2 = s1 * r.randint(2, 3)
    k = r.randint(4, 7)
    return number(f"Pattern A starts at 0 and adds {s1}. Pattern B starts at 0 and adds {s2}. "
                  f"Term {k} of pattern A is {s1 * (k - 1)}. What is term {k} of pattern B?",
                  s2 * (k - 1), wrong=(s2 * k, s1 * (k - 1) + s2))


@template("5.NBT.A.4", "procedural")
def _round_decimal_place(r: Random) -> Draft:
    n = F(r.randint(1001, 9_999), 100)
    x = n * 10
    if x - int(x) == F(1, 2):
        n += F(1, 100)
        x = n * 10
    res = F(int(x + F(1, 2)), 10)
    return number(f"Round {fmt(n)} to the nearest tenth.", res, form="decimal",
                  wrong=(F(int(x), 10) if res != F(int(x), 10) else F(int(x) + 1, 10),
                         F(int(n + F(1, 2)))))


@template("5.NBT.B.5", "application")
def _mult_multi_story(r: Random) -> Draft:
    a, b = r.randint(12, 60), r.randint(105, 450)
    return number(f"A theater has {a} rows with {b} seats each. How many seats in all?",
                  a * b, wrong=(a * b - b, a + b))
