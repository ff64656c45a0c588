import { redirect } from "next/navigation";
import { getServerAuthSession } from "@/server/auth/options";

export default async function Home() {
  redirect((await getServerAuthSession()) ? "/profile" : "/signin");
}
