/** Name formats of Kubernetes (apimachinery's validation), with their real error messages. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
export const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Problems with a DNS-1123 label (`kind: 'label'`), subdomain or DNS-1035 label name, as messages. */
export function nameProblems(name: string, kind: 'label' | 'subdomain' | 'dns1035'): string[] {
  const max = kind === 'subdomain' ? 253 : 63;
  const problems: string[] = [];
  if (name.length > max) problems.push(`must be no more than ${max} characters`);
  const [pattern, message] =
    kind === 'label'
      ? [DNS1123_LABEL, LABEL_MESSAGE]
      : kind === 'subdomain'
        ? [DNS1123_SUBDOMAIN, SUBDOMAIN_MESSAGE]
        : [DNS1035_LABEL, DNS1035_MESSAGE];
  if (!pattern.test(name)) problems.push(message);
  return problems;
}
