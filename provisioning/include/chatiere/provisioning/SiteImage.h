#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>
#include <string>

namespace chatiere::provisioning {

// A website's data volume is an ext4 filesystem the daemon makes on the host, without mounting
// anything (mkfs.ext4 -d, from e2fsprogs), and the guest mounts read-only. These helpers work in a
// private folder they make under `workDir` and always remove.

// Makes `image` a sparse file of `capacityBytes` holding an ext4 filesystem (label chatiere-site,
// owned by root, no journal: the guest never writes it) with the files of `archive`, a tar as
// normalizeSiteArchive makes: folders 0755, files 0644, readable by the guest's web server.
// Throws HypervisorError: InvalidInput when the files do not fit in `capacityBytes` or the archive
// has a path that could leave the site's folder, Failed when mkfs.ext4 fails otherwise.
void makeSiteImage(const std::string& archive, const std::filesystem::path& image, uint64_t capacityBytes,
                   const std::filesystem::path& workDir);

// Whether the volume holds an ext4 filesystem (its superblock's magic), rather than the tar
// archive volumes written before held. Reads from the stream's start; leaves it there.
bool isExt4Volume(std::istream& volume);

// The files of an ext4 site volume, read with debugfs (nothing mounted), as a tar in the order
// normalizeSiteArchive gives (by path); lost+found is left out. Throws HypervisorError Failed.
std::string readSiteImage(const std::filesystem::path& image, const std::filesystem::path& workDir);

}  // namespace chatiere::provisioning
