/** `count` GETs of `url`, eight at a time: how many times each answer came, and how many failed. */
export async function hammer(
  url: string,
  count: number,
): Promise<{ answers: Record<string, number>; failures: number }> {
  const answers: Record<string, number> = {};
  let failures = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        next += 1;
        try {
          const response = await fetch(url);
          const text = await response.text();
          if (response.status !== 200) failures += 1;
          else answers[text] = (answers[text] ?? 0) + 1;
        } catch {
          failures += 1;
        }
      }
    }),
  );
  return { answers, failures };
}
