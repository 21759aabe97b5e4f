import type { AxiosInstance } from 'axios';

/** How many request and response interceptors an instance has (ejected ones excluded). */
export function interceptorCount(instance: AxiosInstance): number {
  let count = 0;
  const managers = [instance.interceptors.request, instance.interceptors.response] as unknown as { forEach(fn: () => void): void }[];
  for (const manager of managers) manager.forEach(() => count++);
  return count;
}
