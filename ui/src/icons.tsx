/**
 * Asset type icons: the names the server accepts (`amj_domain::ICONS`) drawn with Lucide's
 * icons (lucide-preact, imported one by one so only these are bundled). Decorative: the type's
 * name is always beside the icon, so the icon is hidden from screen readers.
 */

import {
  AppWindow,
  Building,
  Cloud,
  Database,
  Keyboard,
  KeyRound,
  Laptop,
  type LucideIcon,
  Monitor,
  Network,
  Package,
  Printer,
  Server,
  Shapes,
  Smartphone,
  Tablet,
  User,
} from "lucide-preact";

/** The server's icon names, in its order, with their drawings. */
export const TYPE_ICONS: [string, LucideIcon][] = [
  ["generic", Shapes],
  ["laptop", Laptop],
  ["server", Server],
  ["monitor", Monitor],
  ["phone", Smartphone],
  ["license", KeyRound],
  ["software", AppWindow],
  ["network", Network],
  ["printer", Printer],
  ["building", Building],
  ["person", User],
  ["box", Package],
  ["cloud", Cloud],
  ["database", Database],
  ["tablet", Tablet],
  ["keyboard", Keyboard],
];

const BY_NAME = new Map(TYPE_ICONS);

/** A type's icon; an unknown name (from a newer server) draws the generic one. */
export function TypeIcon({ icon, size = 16 }: { icon: string | null | undefined; size?: number }) {
  const Drawing = BY_NAME.get(icon ?? "generic") ?? Shapes;
  return <Drawing size={size} class="amj-type-icon" aria-hidden="true" />;
}
