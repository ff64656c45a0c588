/**
 * The parts of @xmpp/client and @xmpp/xml this connector uses, typed here. DefinitelyTyped's
 * @types/xmpp__client pulls in @types/xmpp__xml, which declares a global `JSX.Element` (ltx's) and
 * so breaks every React component's typing in the portal; these few declarations avoid it.
 */
declare module "@xmpp/xml" {
  export class Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    text(): string;
    append(...nodes: Array<Element | string>): this;
    /** Appends a text node. */
    t(text: string): this;
    toString(): string;
  }
  /** Parses one element from a complete XML text. */
  export class Parser {
    on(event: "start" | "element" | "end", listener: (element: Element) => void): this;
    on(event: "error", listener: (error: Error) => void): this;
    write(text: string): void;
    end(text?: string): void;
  }
  export default function xml(
    name: string,
    attrs?: Record<string, string | number | undefined> | null,
    ...children: Array<Element | string | undefined | null | false>
  ): Element;
}

declare module "@xmpp/client" {
  import type { Element } from "@xmpp/xml";

  export interface JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
  }
  export function jid(address: string): JID;
  export { default as xml } from "@xmpp/xml";

  interface TSaslEntity {
    isSecure(): boolean;
  }
  export interface Options {
    service: string;
    domain?: string;
    resource?: string;
    timeout?: number;
    username?: string;
    password?: string;
    credentials?: (
      authenticate: (
        credentials: { username: string; password: string },
        mechanism: string,
        userAgent?: Element,
      ) => Promise<void>,
      mechanisms: string[],
      fast: unknown,
      entity: TSaslEntity,
    ) => Promise<void>;
  }
  export interface Client {
    jid: JID | null;
    status: string;
    start(): Promise<JID>;
    stop(): Promise<void>;
    options: { service: string; domain: string; lang?: string };
    /** Opens the socket (@xmpp/connection). */
    connect(service: string): Promise<void>;
    /** Opens the stream on the open socket (@xmpp/connection). */
    open(options: { domain: string; lang?: string }): Promise<unknown>;
    disconnect(timeout?: number): Promise<void>;
    send(...elements: Element[]): Promise<void>;
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
    removeListener(event: string, listener: (...args: never[]) => void): this;
    iqCaller: { request(element: Element, timeout?: number): Promise<Element> };
    reconnect: { stop(): void; start(): void; delay: number };
    emit(event: "error", error: unknown): boolean;
    /** How a service URL becomes net.connect's options (the transport's; overridable). */
    socketParameters(service: string): { host: string; port: number | null } | undefined;
    /** Follows a `see-other-host` stream error to the host it names (overridable). */
    _onSeeOtherHost(error: Error): Promise<void>;
  }
  export function client(options: Options): Client;
}
