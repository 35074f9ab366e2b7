import { SERVER_VERSION } from './discovery.js';
import type { StoredObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import { NODE_IP, NODE_NAME } from './pod-status.js';
import { resourceByPlural } from './resource-registry.js';
import { createObject } from './write-object.js';

const SYSTEM = { manager: 'kube-apiserver', system: true };

/**
 * What a fresh cluster already holds: the namespaces `default`, `kube-system`, `kube-public` and
 * `kube-node-lease`, one Ready node, and the `kubernetes` Service in `default`.
 */
export function bootstrapObjects(store: ObjectStore): void {
  const namespaces = resourceByPlural('namespaces');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    createObject(
      store,
      namespaces,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      SYSTEM,
    );
  }
  const node: StoredObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: { podCIDR: '10.244.0.0/24' },
    status: {
      addresses: [
        { type: 'InternalIP', address: NODE_IP },
        { type: 'Hostname', address: NODE_NAME },
      ],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        },
      ],
      nodeInfo: {
        kubeletVersion: SERVER_VERSION.gitVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.7.15',
      },
      capacity: { cpu: '2', memory: '24Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '24Gi', pods: '110' },
    },
  };
  createObject(store, resourceByPlural('nodes'), node, SYSTEM);
  const service: StoredObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      clusterIP: '10.96.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    },
  };
  createObject(store, resourceByPlural('services'), service, SYSTEM);
}
