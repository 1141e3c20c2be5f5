import { describe, expect, it } from "vitest";
import { PG_INT_MAX, pgIntFromText, pgIntSchema, textSchema, toStorableText, unstorableText } from "./fields";

describe("unstorableText", () => {
  it("accepts any well-formed text, surrogate pairs included", () => {
    for (const text of ["", "plain", "é CJK 漢字", "emoji 😀 and 🏳️‍🌈", "tab\tnewline\n"]) {
      expect(unstorableText(text), text).toBeNull();
    }
  });

  it("names a NUL or a lone surrogate and where it is", () => {
    expect(unstorableText("ab\u0000")).toBe(
      "contains a NUL character (\\u0000) at character 3, which cannot be stored",
    );
    expect(unstorableText("\ud83d")).toMatch(/^contains a lone UTF-16 surrogate \(\\uD83D\) at character 1,/);
    expect(unstorableText("x\ude00y")).toMatch(/\(\\uDE00\) at character 2,/);
    expect(unstorableText("\ude00\ud83d")).toMatch(/\(\\uDE00\) at character 1,/);
  });

  it("replaces what cannot be stored with U+FFFD for text that is only shown", () => {
    expect(toStorableText("a\u0000b\ud800c😀")).toBe("a\uFFFDb\uFFFDc😀");
  });
});

describe("textSchema and pgIntSchema", () => {
  it("refuse with one message that names the field", () => {
    const tag = textSchema("the tag", { min: 1, max: 5 });
    expect(tag.parse("  ok ")).toBe("ok");
    expect(tag.safeParse("a\u0000").error?.issues.map((issue) => issue.message)).toEqual([
      "the tag contains a NUL character (\\u0000) at character 2, which cannot be stored",
    ]);
    const step = pgIntSchema("step");
    expect(step.parse(PG_INT_MAX)).toBe(PG_INT_MAX);
    for (const value of [PG_INT_MAX + 1, 2 ** 53 + 2, -1, 1.5]) {
      expect(
        step.safeParse(value).error?.issues.map((issue) => issue.message),
        String(value),
      ).toEqual(["step must be a whole number from 0 to 2147483647"]);
    }
    const version = pgIntFromText("the version", 1);
    expect(version.parse("12")).toBe(12);
    for (const text of ["0", "2147483648", "9007199254740993", "1e400", "abc"]) {
      expect(version.safeParse(text).success, text).toBe(false);
    }
  });
});
