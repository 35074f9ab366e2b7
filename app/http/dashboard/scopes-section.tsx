import { Badge } from './layout.js';
import type { ScopeView } from './scope-views.js';

/**
 * The traffic split of a scope as a bar: the active release's share, then the candidate's.
 *
 * @example
 * <TrafficBar scope={view} /> // [ 70 % 1.0.0 | 30 % 1.1.0 ]
 */
export function TrafficBar({ scope }: { scope: ScopeView }) {
  const parts = [
    scope.active ? { ...scope.active, role: 'active' } : null,
    scope.candidate ? { ...scope.candidate, role: 'candidate' } : null,
  ].filter((part): part is NonNullable<typeof part> => part !== null && part.traffic > 0);
  if (parts.length === 0) return <span class="muted">no traffic yet</span>;
  const label = parts.map((part) => `${part.traffic} % ${part.semver}`).join(' | ');
  return (
    <div class="bar" role="img" aria-label={`traffic: ${label}`} data-traffic={label}>
      {parts.map((part) => (
        <span
          class={part.role}
          style={`width:${part.traffic}%`}
          title={`${part.traffic} % release ${part.semver}`}
        >
          {`${part.traffic} % ${part.semver}`}
        </span>
      ))}
    </div>
  );
}

/** nullplatform scopes: the release serving each, any candidate deployment and the split. */
export function ScopesSection({ scopes }: { scopes: ScopeView[] }) {
  return (
    <section aria-labelledby="scopes-title">
      <h2 id="scopes-title">Scopes</h2>
      {scopes.length === 0 ? (
        <p class="empty">No nullplatform scopes yet.</p>
      ) : (
        <table id="scopes">
          <thead>
            <tr>
              <th>Scope</th>
              <th>Application</th>
              <th>Active release</th>
              <th>Candidate</th>
              <th>Traffic</th>
            </tr>
          </thead>
          <tbody>
            {scopes.map((scope) => (
              <tr data-scope-id={String(scope.id)}>
                <td>
                  {scope.name}
                  {scope.address ? <div class="muted mono">{scope.address}</div> : null}
                </td>
                <td>{scope.application}</td>
                <td>
                  {scope.active ? (
                    <span class="mono">{scope.active.semver}</span>
                  ) : (
                    <span class="muted">none</span>
                  )}
                </td>
                <td>
                  {scope.candidate ? (
                    <>
                      <span class="mono">{scope.candidate.semver}</span>{' '}
                      <Badge status={scope.candidate.status} />{' '}
                      <span class="muted">
                        {scope.candidate.strategy.replace('_', '-')}
                        {scope.candidate.desired !== scope.candidate.traffic
                          ? `, moving to ${scope.candidate.desired} %`
                          : ''}
                      </span>
                    </>
                  ) : (
                    <span class="muted">none</span>
                  )}
                </td>
                <td>
                  <TrafficBar scope={scope} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
