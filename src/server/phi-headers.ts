/**
 * Headers sent with every answer of the API, by Express and by the direct read alike: it serves
 * PHI, which no cache may keep (RFC 9111 §5.2.2.5 `no-store`) and no browser may sniff into
 * another type (`nosniff`, Fetch §X-Content-Type-Options).
 */
export const PHI_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;
