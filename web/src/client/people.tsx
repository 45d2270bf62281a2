// Finding people with `users(search:)`, to start a conversation with or add.
import { useEffect, useState } from "preact/hooks";
import type { UserFieldsFragment } from "../gql/graphql";
import { request } from "./connection";
import { SearchUsers } from "./operations";

export function PeoplePicker({
  label,
  exclude,
  onPick,
}: {
  label: string;
  exclude: string[];
  onPick: (user: UserFieldsFragment) => void;
}) {
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<UserFieldsFragment[]>([]);

  useEffect(() => {
    const term = search.trim();
    if (!term) {
      setFound([]);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      request(SearchUsers, { search: term })
        .then((data) => current && setFound(data.users))
        .catch(() => current && setFound([]));
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [search]);

  const shown = found.filter((u) => !exclude.includes(u.id));
  return (
    <div class="people">
      <label>
        {label}
        <input
          type="search"
          value={search}
          placeholder="Username or email"
          onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      {shown.length > 0 && (
        <ul aria-label="People found">
          {shown.map((u) => (
            <li key={u.id}>
              <button type="button" onClick={() => onPick(u)}>
                Add {u.username} <span class="muted">({u.fullName})</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
