export * from "./model";
export { childNamed, childrenNamed, DEFAULT_XML_LIMITS, parsePmmlXml, PmmlError } from "./xml";
export type { XmlElement, XmlLimits } from "./xml";
