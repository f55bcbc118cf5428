// Each package keeps one registry of its error codes (code -> when it is thrown). Its README's
// error table is checked against the registry both ways (fastify's errors-vs-docs test).

/** Error code -> one line saying when it is thrown. */
export type ErrorRegistry = Readonly<Record<`HOTPATH_${string}`, string>>

/** The codes of a registry, as a union type. */
export type ErrorCodeOf<R extends ErrorRegistry> = Extract<keyof R, string>
